# The console as a container image: the release binary and its site on a small base, run as a
# non-root user. The same binary the tests run; it serves HTTP on CONSOLE_ADDR (or Lambda events
# when AWS_LAMBDA_RUNTIME_API is set). Build from the repository root: docker build -t linear-console .

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Builds stay inside the image (the Makefile defaults to ~/.cache elsewhere).
ENV CARGO_TARGET_DIR=/src/target/cargo
COPY . .
# `make release`: the server and the style binary, the size-first wasm through wasm-opt >= 116,
# wasm-bindgen at the version Cargo.lock names (both installed from crates.io by the Makefile).
RUN make release \
 && mkdir -p /out \
 && cp "$CARGO_TARGET_DIR/release/linear-console" /out/linear-console \
 && cp -r target/site /out/site

FROM debian:bookworm-slim
# TLS roots for AWS and Linear; nothing else is needed at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin console
COPY --from=build /out/linear-console /usr/local/bin/linear-console
COPY --from=build /out/site /srv/site
ENV LEPTOS_SITE_ROOT=/srv/site \
    CONSOLE_ADDR=0.0.0.0:3000 \
    CONSOLE_LOG_FORMAT=json
USER 10001
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/linear-console"]
