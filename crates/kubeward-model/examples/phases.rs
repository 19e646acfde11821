//! Times the loader's phases on one file: `cargo run --release -p kubeward-model --example phases -- FILE`.
use std::time::Instant;
fn main() {
    let p = std::env::args().nth(1).expect("file");
    let t = Instant::now();
    let bytes = std::fs::read(&p).expect("read");
    println!("read      {:?}", t.elapsed());
    let t = Instant::now();
    let text = kubeward_model::yaml::decode_text(&bytes).expect("text");
    println!("decode    {:?}", t.elapsed());
    let t = Instant::now();
    let mut n = 0;
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    while let Some(Ok(_)) = parser.next_event() {
        n += 1;
    }
    println!("events    {:?} ({n} events, one thread)", t.elapsed());
    let t = Instant::now();
    let s = kubeward_model::yaml::parse_stream(text, &kubeward_model::Limits::default());
    println!("stream    {:?} ({} docs)", t.elapsed(), s.documents.len());
    let t = Instant::now();
    drop(s);
    println!("drop      {:?}", t.elapsed());
}
