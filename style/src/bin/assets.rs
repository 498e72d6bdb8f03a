//! `assets <pkg dir> [name]`: hashed copies and brotli/gzip siblings of the built JS, wasm and CSS
//! (see `style::assets`), and the `output-name` file the server reads at start.
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (pkg, name) = match args.as_slice() {
        [pkg] => (pkg.as_str(), "app"),
        [pkg, name] => (pkg.as_str(), name.as_str()),
        _ => {
            eprintln!("usage: assets <pkg dir> [output name]");
            std::process::exit(2);
        }
    };
    match style::assets::finish(Path::new(pkg), name) {
        Ok(hashed) => println!("assets: {pkg}/{hashed}.{{js,_bg.wasm,css}} with .br and .gz"),
        Err(e) => {
            eprintln!("assets: {e}");
            std::process::exit(1);
        }
    }
}
