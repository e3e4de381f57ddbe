//! The `hover` binary: sets up diagnostics and the runtime, runs the CLI, exits with its code.

use clap::Parser;
use hover::cli::{self, Cli};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args());
    let cli = Cli::parse_from(args);
    let color = hover::render::Style::detect(cli.no_color, std::io::stderr().is_terminal()).color;
    let stderr_tty = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        let mut opts = miette::MietteHandlerOpts::new()
            .color(color)
            .unicode(color)
            .terminal_links(false);
        if !stderr_tty {
            // Logs and pipes: keep each message on one line where it fits.
            opts = opts.width(160);
        }
        Box::new(opts.build())
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(1)
        }
    }
}
