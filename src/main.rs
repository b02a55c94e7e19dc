fn main() -> std::process::ExitCode {
    radx_cli::main()
}
