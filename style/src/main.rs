//! `style <src dir> <out.css>...`: writes the console's stylesheet to each output path.
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [src, outs @ ..] = args.as_slice() else {
        eprintln!("usage: style <src dir> <out.css>...");
        std::process::exit(2);
    };
    let run = || -> std::io::Result<usize> {
        let files = style::rust_sources(Path::new(src))?;
        let texts = files.iter().map(std::fs::read_to_string).collect::<Result<Vec<_>, _>>()?;
        let css = style::generate(texts.iter().map(String::as_str));
        for out in outs {
            if let Some(parent) = Path::new(out).parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(out, &css)?;
        }
        Ok(css.len())
    };
    match run() {
        Ok(n) => println!("style: {n} bytes of CSS from {src}"),
        Err(e) => {
            eprintln!("style: {e}");
            std::process::exit(1);
        }
    }
}
