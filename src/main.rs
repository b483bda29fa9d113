fn main() {
    println!("softeq");
}
