//! `genesys api <operationId>`: call any operation of the catalogue, its
//! parameters given as `--kebab-case` options, its answer printed as JSON.

use std::io::Read as _;
use std::process::ExitCode;

use clap::Args;
use futures_util::TryStreamExt as _;
use genesys_model::catalogue::{self, Operation, ParameterLocation, PermissionRequirement};

use crate::Target;

/// `genesys api` (see `genesys api --help`).
#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct ApiArgs {
    /// The operation id, e.g. `getRoutingQueues` (`genesys doctor` and the
    /// API reference list them).
    pub operation_id: String,
    /// The operation's parameters and these options:
    ///   --PARAMETER VALUE     a path, query or header parameter, by its spec
    ///                         name in kebab-case (`--queue-id`, `--page-size`)
    ///                         or as spelled (`--queueId`); repeat an array
    ///                         parameter (`--expand presence --expand skills`)
    ///   --body FILE           the JSON request body, from FILE or `-` (stdin)
    ///   --all-pages           a listing: every item of every page, as one JSON array
    ///   --max-pages N         with --all-pages: at most N pages
    ///   --help                the operation: method, path, parameters,
    ///                         permissions, scopes, user context
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        verbatim_doc_comment
    )]
    pub args: Vec<String>,
}

/// The options after the operation id.
#[derive(Debug, Default)]
struct Options {
    params: Vec<(&'static str, String)>,
    body: Option<String>,
    all_pages: bool,
    max_pages: Option<usize>,
    help: bool,
}

/// The operation, or an error naming the closest ids.
pub fn operation(id: &str) -> Result<&'static Operation, String> {
    catalogue::operation(id).ok_or_else(|| {
        let near = catalogue::similar_operations(id);
        format!(
            "`{id}` is not an operation of this API{}",
            if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            }
        )
    })
}

/// Whether the arguments ask for the operation's help (answered without
/// connecting anywhere).
pub fn wants_help(args: &ApiArgs) -> bool {
    args.args.iter().any(|a| a == "--help" || a == "-h")
}

/// The global flags, which go before `api` (after the operation id every
/// option is the operation's).
const CONNECTION_FLAGS: [&str; 13] = [
    "region",
    "base-url",
    "client-id",
    "client-secret",
    "access-token",
    "profile",
    "ca-cert",
    "client-cert",
    "client-key",
    "proxy",
    "no-proxy",
    "verbose",
    "v",
];

/// `camelCase` → `camel-case`, the option name of a parameter.
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '_' || c == '.' {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    out
}

fn parse(op: &'static Operation, args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(flag) = arg.strip_prefix("--") else {
            if arg == "-h" {
                options.help = true;
                continue;
            }
            return Err(format!(
                "unexpected `{arg}`: parameters are options, e.g. `--{} VALUE` (see `genesys api {} --help`)",
                op.parameters
                    .iter()
                    .find(|p| p.location != ParameterLocation::Body)
                    .map_or_else(|| "name".to_owned(), |p| kebab(p.name)),
                op.id
            ));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (flag, None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            if let Some(v) = &inline {
                return Ok(v.clone());
            }
            let v = args
                .get(i)
                .ok_or_else(|| format!("--{name} needs {what}"))?
                .clone();
            i += 1;
            Ok(v)
        };
        match name {
            "help" => options.help = true,
            "all-pages" => options.all_pages = true,
            "body" => options.body = Some(value("a file name, or - for stdin")?),
            "max-pages" => {
                let v = value("a number")?;
                options.max_pages = Some(
                    v.parse()
                        .map_err(|_| format!("--max-pages {v}: not a number"))?,
                );
            }
            _ => {
                let param = op
                    .parameters
                    .iter()
                    .filter(|p| p.location != ParameterLocation::Body)
                    .find(|p| kebab(p.name) == name || p.name == name)
                    .ok_or_else(|| {
                        if CONNECTION_FLAGS.contains(&name) {
                            return format!(
                                "--{name} is a connection flag: give it before `api` \
                                 (genesys --{name} ... api {} ...)",
                                op.id
                            );
                        }
                        let known: Vec<String> = op
                            .parameters
                            .iter()
                            .filter(|p| p.location != ParameterLocation::Body)
                            .map(|p| format!("--{}", kebab(p.name)))
                            .collect();
                        format!(
                            "{} has no parameter --{name}; its options are: {}",
                            op.id,
                            if known.is_empty() {
                                "none (besides --body)".to_owned()
                            } else {
                                known.join(", ")
                            }
                        )
                    })?;
                options.params.push((param.name, value("a value")?));
            }
        }
    }
    Ok(options)
}

/// The operation's help: what `genesys api <id> --help` prints.
pub fn help_text(op: &'static Operation) -> String {
    let mut out = format!("{} {}\n  {}\n", op.method, op.path, op.summary);
    if op.deprecated {
        out.push_str("  (deprecated)\n");
    }
    if op.preview {
        out.push_str("  (preview API: may change without notice)\n");
    }
    out.push_str(&format!("\nUsage: genesys api {}", op.id));
    for p in op.parameters.iter().filter(|p| p.required) {
        match p.location {
            ParameterLocation::Body => out.push_str(" --body FILE"),
            _ => out.push_str(&format!(" --{} VALUE", kebab(p.name))),
        }
    }
    out.push_str(" [OPTIONS]\n\nParameters:\n");
    if op.parameters.is_empty() {
        out.push_str("  (none)\n");
    }
    for p in op.parameters {
        let flag = match p.location {
            ParameterLocation::Body => "--body FILE".to_owned(),
            _ => format!("--{}", kebab(p.name)),
        };
        let location = match p.location {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Body => "body",
            ParameterLocation::FormData => "form",
        };
        out.push_str(&format!(
            "  {flag:<28} {location}, {}{}",
            p.schema,
            if p.required { ", required" } else { "" }
        ));
        if !p.enum_values.is_empty() {
            out.push_str(&format!(" (one of: {})", p.enum_values.join(", ")));
        }
        out.push('\n');
    }
    if let Some(body) = op.body_type {
        out.push_str(&format!("\nRequest body: {body} (JSON)\n"));
    }
    if let Some(response) = op.response_type {
        out.push_str(&format!("Response: {response}\n"));
    }
    out.push_str("\nAuthorization:\n");
    out.push_str(&format!(
        "  needs a user context: {}\n",
        if op.requires_user_context {
            "yes (a client-credentials token is refused: not.a.user)"
        } else {
            "no"
        }
    ));
    match op.permissions {
        Some(p) => out.push_str(&format!(
            "  permissions: {} of [{}]\n",
            match p.requirement {
                PermissionRequirement::Any => "any",
                PermissionRequirement::All => "all",
            },
            p.permissions.join(", ")
        )),
        None => out.push_str("  permissions: not documented\n"),
    }
    match op.scopes() {
        Some([]) => out.push_str("  scopes: none (public)\n"),
        Some(scopes) => out.push_str(&format!("  scopes: any of [{}]\n", scopes.join(", "))),
        None => out.push_str("  scopes: not documented\n"),
    }
    out.push_str(
        "\nOptions: --body FILE (- for stdin), --all-pages, --max-pages N. Connection flags \
         (--base-url, --client-id, ...) go before `api`.\n",
    );
    out
}

fn read_body(source: &str) -> Result<Vec<u8>, String> {
    if source == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| format!("reading the body from stdin: {e}"))?;
        Ok(body)
    } else {
        std::fs::read(source).map_err(|e| format!("reading the body from {source}: {e}"))
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// Checks the arguments (and reads the body) before anything connects.
pub struct Prepared {
    op: &'static Operation,
    options: Options,
    body: Option<Vec<u8>>,
}

/// The operation and its options, or what is wrong with them.
pub fn prepare(args: &ApiArgs) -> Result<Prepared, String> {
    let op = operation(&args.operation_id)?;
    let options = parse(op, &args.args)?;
    let body = options.body.as_deref().map(read_body).transpose()?;
    Ok(Prepared { op, options, body })
}

/// Calls the operation on `target` and prints the answer.
pub async fn run(target: &Target, prepared: Prepared) -> Result<ExitCode, String> {
    let Prepared { op, options, body } = prepared;
    let mut call = target.client.operation(op.id).map_err(|e| e.to_string())?;
    for (name, value) in options.params {
        call = call.param(name, value).map_err(|e| e.to_string())?;
    }
    if let Some(body) = body {
        call = call.body(body);
    }
    if options.all_pages {
        if let Some(max) = options.max_pages {
            call = call.max_pages(max);
        }
        let items: Vec<serde_json::Value> = call
            .items()
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        print_json(&serde_json::Value::Array(items))?;
    } else {
        let answer = call.send().await.map_err(|e| e.to_string())?;
        if !answer.is_null() {
            print_json(&answer)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parameters_are_kebab_case_options() {
        assert_eq!(kebab("queueId"), "queue-id");
        assert_eq!(kebab("pageSize"), "page-size");
        assert_eq!(kebab("expand"), "expand");
        let op = operation("getUsers").unwrap();
        let o = parse(
            op,
            &args(&[
                "--page-size",
                "5",
                "--expand=presence",
                "--expand",
                "skills",
                "--all-pages",
            ]),
        )
        .unwrap();
        assert_eq!(
            o.params,
            [
                ("pageSize", "5".to_owned()),
                ("expand", "presence".into()),
                ("expand", "skills".into())
            ]
        );
        assert!(o.all_pages);
        // The spec's own spelling works too.
        assert_eq!(
            parse(op, &args(&["--pageSize", "2"])).unwrap().params,
            [("pageSize", "2".to_owned())]
        );
    }

    #[test]
    fn mistakes_name_what_would_work() {
        let op = operation("getUsers").unwrap();
        let err = parse(op, &args(&["--page-sise", "5"])).unwrap_err();
        assert!(err.contains("--page-size"), "{err}");
        let err = parse(op, &args(&["5"])).unwrap_err();
        assert!(err.contains("parameters are options"), "{err}");
        let err = parse(op, &args(&["--page-size"])).unwrap_err();
        assert!(err.contains("needs a value"), "{err}");
        let err = parse(op, &args(&["--base-url", "http://127.0.0.1:1"])).unwrap_err();
        assert!(err.contains("give it before `api`"), "{err}");
        let err = operation("getUserMe").unwrap_err();
        assert!(err.contains("did you mean getUsersMe"), "{err}");
    }

    #[test]
    fn help_shows_method_path_parameters_and_authorization() {
        let text = help_text(operation("postConversationsCalls").unwrap());
        assert!(
            text.starts_with("POST /api/v2/conversations/calls"),
            "{text}"
        );
        assert!(text.contains("--body FILE"), "{text}");
        assert!(text.contains("needs a user context: yes"), "{text}");
        let text = help_text(operation("getRoutingQueue").unwrap());
        assert!(text.contains("--queue-id"), "{text}");
        assert!(text.contains("path, string, required"), "{text}");
        assert!(text.contains("permissions:"), "{text}");
    }
}
