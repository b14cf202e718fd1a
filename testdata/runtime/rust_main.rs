// A plain Rust program: prints its arguments (std captures argv from the executable's
// .init_array on glibc, so a lowering that loses constructors prints none) and spawns a
// thread.
use std::thread;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("args: {}", args.len());
    for (i, a) in args.iter().enumerate().skip(1) {
        println!("arg[{i}] = {a}");
    }
    let n = args.len() as u64;
    let handle = thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            let name = thread::current().name().map(str::to_owned);
            let sum: u64 = (1..=1000 * n).sum();
            (name, sum)
        })
        .expect("spawn");
    let (name, sum) = handle.join().expect("join");
    println!("thread {:?} computed {sum}", name.unwrap_or_default());
    let v: Vec<String> = (0..5).map(|i| format!("{i}")).collect();
    println!("joined: {}", v.join(","));
    std::process::exit(if sum > 0 { 5 } else { 1 });
}
