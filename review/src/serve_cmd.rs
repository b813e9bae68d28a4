//! `review serve --store URL [--listen ADDR] [--contest CONTEST.toml] [--inspectors FILE]`
//! runs the HTTP service (`review::serve`); `review token` makes a token and its hash for
//! the contest and inspectors files.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use qly_i18n::Lang;
use review::serve::{auth, run, ServeOptions};

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: crate::store_cmd::StoreArg,
    /// Address and port to listen on (port 0: any free port, printed at start). Plain HTTP:
    /// put a TLS reverse proxy in front for anything beyond a closed network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Contest mode: the contest file (TOML: name, targets, rules, the judges' and teams'
    /// token hashes; review/README.md).
    #[arg(long, value_name = "CONTEST.toml")]
    pub contest: Option<PathBuf>,
    /// Decisions need an inspector's token: names and token hashes (TOML `[[inspectors]]`);
    /// without it anyone who reaches the server records decisions under the name they type.
    #[arg(long, value_name = "INSPECTORS.toml")]
    pub inspectors: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TokenArgs {
    /// Whom the token is for (a team's name, `judges`, an inspector): printed with it.
    #[arg(long = "for", value_name = "NAME")]
    pub for_whom: String,
}

pub fn serve(a: &ServeArgs, lang: Lang) -> Result<()> {
    qly_cli::init_tracing("REVIEW_LOG", "info");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let opts = ServeOptions {
        store: a.store.store.clone(),
        listen: a.listen,
        contest: a.contest.clone(),
        inspectors: a.inspectors.clone(),
        lang,
    };
    runtime.block_on(run(opts, |s| {
        println!(
            "{}",
            lang.t_args(
                "serve-listening",
                &[
                    ("addr", s.addr.to_string().into()),
                    ("store", s.store.as_str().into())
                ]
            )
        );
        if let Some((name, teams, targets, uploads)) = &s.contest {
            println!(
                "{}",
                lang.t_args(
                    "serve-contest-loaded",
                    &[
                        ("name", name.as_str().into()),
                        ("teams", (*teams).into()),
                        ("targets", (*targets).into()),
                        ("uploads", (*uploads).into()),
                    ]
                )
            );
        }
        // Scripts and tests wait for these lines.
        let _ = std::io::stdout().flush();
    }))?;
    println!("{}", lang.t("serve-stopped"));
    Ok(())
}

pub fn token(a: &TokenArgs) -> Result<()> {
    let (token, hash) = auth::new_token().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    println!(
        "# {}: give the token to them; put the hash in the file",
        a.for_whom
    );
    println!("token = \"{token}\"");
    println!("token_sha256 = \"{}\"", auth::hex(&hash));
    Ok(())
}
