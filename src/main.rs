fn main() -> std::process::ExitCode {
    radx_cli::main(radx_build::info())
}
