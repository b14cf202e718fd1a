// A plain Rust program: prints its arguments (std captures argv from the executable's
// .init_array on glibc, so a lowering that loses constructors prints none), spawns a
// thread, writes, reads back and stats a file, and unwinds two panics (one caught with
// catch_unwind, one ending a thread that is joined): the unwinder walks the program's
// .eh_frame through libgcc_s, whose frames a lowering must leave intact.
use std::io::{Read, Write};
use std::panic;
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

    // File I/O: create, write, stat, read back, remove.
    let path = std::env::temp_dir().join(format!("elfcompat-rust-{}", std::process::id()));
    let text = format!("{}\n", args[1..].join("|"));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write");
    let len = std::fs::metadata(&path).expect("stat").len();
    let mut back = String::new();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_string(&mut back))
        .expect("read");
    std::fs::remove_file(&path).expect("remove");
    println!("file: {len} bytes, read back {}", back == text);

    // Panics: the messages go to stdout (the default hook would print them on stderr).
    panic::set_hook(Box::new(|_| {}));
    let empty: Vec<u64> = Vec::new();
    let caught = panic::catch_unwind(|| empty[n as usize]);
    match caught {
        Ok(x) => println!("no panic: {x}"),
        Err(e) => println!(
            "caught panic: {}",
            e.downcast_ref::<String>().map_or("?", String::as_str)
        ),
    }
    let panicked = thread::spawn(move || -> u64 { panic!("worker gave up after {n}") }).join();
    match panicked {
        Ok(x) => println!("thread returned {x}"),
        Err(e) => println!(
            "thread panicked: {}",
            e.downcast_ref::<String>().map_or("?", String::as_str)
        ),
    }
    std::process::exit(if sum > 0 { 5 } else { 1 });
}
