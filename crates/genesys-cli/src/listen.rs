//! `genesys listen`: subscribe to notification topics and print every event
//! as one JSON line, until interrupted.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;
use futures_util::StreamExt as _;
use genesys_cloud::calls::Dial;
use genesys_cloud::notifications::{ChannelEvent, Gap};
use genesys_emulator::seed;
use genesys_model::notifications::{Event, Notification, Topic};
use time::OffsetDateTime;

use crate::Target;

/// The arguments of `genesys listen`.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Topics to subscribe to, e.g. `v2.users.<userId>.conversations.calls`
    /// or `v2.routing.queues.<queueId>.conversations.calls`. Each is
    /// checked against the topic catalogue before anything is sent. With
    /// the embedded emulator the default is the demo user's calls topic.
    #[arg(value_name = "TOPIC")]
    pub(crate) topics: Vec<String>,
    /// Embedded emulator only: once subscribed, place a call to NUMBER on
    /// behalf of the emulator's demo user, so its events show.
    #[arg(long, value_name = "NUMBER")]
    pub(crate) demo_call: Option<String>,
    /// Exit (status 0) after printing this many notifications (gap markers
    /// do not count).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: Option<u64>,
}

/// Checks every topic name before anything is sent: a typo is refused
/// naming the nearest known topic.
pub(crate) fn check_topics(names: &[String]) -> Result<(), String> {
    for name in names {
        Topic::<Event>::parse(name).map_err(|e| format!("{e} (nothing was sent)"))?;
    }
    Ok(())
}

/// Runs `genesys listen` on `target` (topics already checked).
pub(crate) async fn listen(target: &Target, args: ListenArgs) -> Result<ExitCode, String> {
    // Listen for Ctrl-C (and SIGTERM) from now on, so an interrupt at any
    // point ends cleanly.
    let mut interrupt = Interrupt::new()?;

    let mut topics = args.topics;
    match &target.emulator {
        Some(_) => {
            if topics.is_empty() {
                topics.push(demo_topic());
                eprintln!(
                    "No topic given: listening to the emulator's demo user's calls ({}).",
                    topics[0]
                );
            }
            if args.demo_call.is_none() {
                eprintln!(
                    "Nothing happens on the embedded emulator until a call is placed: add \
                     --demo-call +15550123 to place one on its demo user."
                );
            }
        }
        None => {
            if topics.is_empty() {
                return Err("name at least one topic to listen to, e.g. \
                     v2.users.<userId>.conversations.calls"
                    .into());
            }
            if args.demo_call.is_some() {
                return Err(
                    "--demo-call places a call on the embedded emulator's demo user \
                     and works only without credentials; to see a real call's events, place \
                     it with `genesys call` from another terminal"
                        .into(),
                );
            }
        }
    }

    let channel = target.client.notifications_channel();
    let mut stream = tokio::select! {
        subscribed = channel.subscribe_names(&topics) => subscribed.map_err(|e| e.to_string())?,
        () = interrupt.recv() => return Ok(ExitCode::SUCCESS),
    };
    eprintln!(
        "Listening to {} topic{} (one JSON line per notification on stdout; Ctrl-C to stop).",
        topics.len(),
        if topics.len() == 1 { "" } else { "s" }
    );

    if let Some(number) = &args.demo_call {
        // With the demo client's credentials, on behalf of the demo user;
        // logged in as the demo user (`genesys login`), as that user.
        let token = target
            .client
            .access_token()
            .await
            .map_err(|e| e.to_string())?;
        let mut dial = Dial::number(number);
        if !token.principal().is_user() {
            dial = dial.on_behalf_of(seed::DEFAULT_USER_ID);
        }
        let calls = target.client.calls();
        let placed = tokio::select! {
            placed = calls.place(&dial) => placed.map_err(|e| e.to_string())?,
            () = interrupt.recv() => return Ok(ExitCode::SUCCESS),
        };
        eprintln!(
            "Placed a demo call to {number} for the demo user {}: conversation {}.",
            seed::DEFAULT_USER_ID,
            placed.conversation_id
        );
    }

    let mut printed = 0u64;
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            () = interrupt.recv() => return Ok(ExitCode::SUCCESS),
        };
        let (line, is_gap) = match item {
            Some(Ok(ChannelEvent::Notification(n))) => (notification_line(&n)?, false),
            Some(Ok(ChannelEvent::Gap(gap))) => (gap_line(&gap)?, true),
            // A kind of item this build does not know: nothing to print.
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the notification stream ended".into()),
        };
        if !print_line(&line)? {
            // stdout was closed (e.g. `| head -n 3`): nothing more to do.
            return Ok(ExitCode::SUCCESS);
        }
        if !is_gap {
            printed += 1;
            if args.count.is_some_and(|count| printed >= count) {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
}

/// The emulator's demo user's calls topic.
fn demo_topic() -> String {
    format!("v2.users.{}.conversations.calls", seed::DEFAULT_USER_ID)
}

/// A notification as received: `{"topicName","version","eventBody","metadata"}`.
fn notification_line(n: &Notification) -> Result<String, String> {
    serde_json::to_string(n).map_err(|e| format!("encoding a notification: {e}"))
}

/// `{"gap":{"from":RFC3339,"to":RFC3339,"topics":[...],"cause":"..."}}`.
fn gap_line(gap: &Gap) -> Result<String, String> {
    gap_json(gap.from, gap.to, &gap.topics, &gap.cause)
}

fn gap_json(
    from: SystemTime,
    to: SystemTime,
    topics: &[String],
    cause: &str,
) -> Result<String, String> {
    use serde_json::Value;
    Ok(format!(
        r#"{{"gap":{{"from":{},"to":{},"topics":{},"cause":{}}}}}"#,
        Value::from(rfc3339(from)?),
        Value::from(rfc3339(to)?),
        Value::from(topics.to_vec()),
        Value::from(cause),
    ))
}

/// `time` as RFC 3339 in UTC with milliseconds, as Genesys writes times:
/// `2026-11-28T04:05:06.789Z`.
fn rfc3339(time: SystemTime) -> Result<String, String> {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    OffsetDateTime::from(time)
        .to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .map_err(|e| format!("formatting a time: {e}"))
}

/// Writes one line to stdout and flushes it; `Ok(false)` when stdout is
/// closed.
fn print_line(line: &str) -> Result<bool, String> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("writing to stdout: {e}")),
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, listened for from creation on.
struct Interrupt {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Interrupt {
    fn new() -> Result<Self, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind| signal(kind).map_err(|e| format!("listening for signals: {e}"));
            Ok(Interrupt {
                signals: (
                    listen(SignalKind::interrupt())?,
                    listen(SignalKind::terminate())?,
                ),
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Interrupt {})
        }
    }

    /// Resolves at the next interrupt.
    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let (int, term) = &mut self.signals;
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            // Without a handler the process would exit on Ctrl-C anyway.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn typos_are_refused_naming_the_nearest_topic() {
        let err = check_topics(&["v2.users.8f6c.conversations.cals".to_owned()]).unwrap_err();
        assert!(err.contains("v2.users.{id}.conversations.calls"), "{err}");
        assert!(err.contains("nothing was sent"), "{err}");
        assert!(check_topics(&[demo_topic()]).is_ok());
        assert!(check_topics(&["".to_owned()]).is_err());
    }

    #[test]
    fn gaps_are_one_json_object() {
        let line = gap_json(
            SystemTime::UNIX_EPOCH + Duration::from_secs(10),
            SystemTime::UNIX_EPOCH + Duration::from_millis(12_500),
            &["v2.users.u1.conversations.calls".to_owned()],
            "the socket closed \"abruptly\"",
        )
        .unwrap();
        assert_eq!(
            line,
            r#"{"gap":{"from":"1970-01-01T00:00:10.000Z","to":"1970-01-01T00:00:12.500Z","topics":["v2.users.u1.conversations.calls"],"cause":"the socket closed \"abruptly\""}}"#
        );
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["gap"]["cause"], "the socket closed \"abruptly\"");
    }
}
