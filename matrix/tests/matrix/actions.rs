//! combtest's behaviours on action matrices.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use playback_matrix::{Matrix, SerialAction, WalkId, action};

fn ok() -> Result<(), String> {
    Ok(())
}

#[test]
fn options_come_from_an_iterator_called_again_for_each_restart_never_collected() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let matrix = Matrix::new()
        .action(action("outer", || 0..300u32, |_: &u32, _: &mut u64| ok()))
        .action(action(
            "inner",
            || {
                CALLS.fetch_add(1, Ordering::SeqCst);
                0..200u32
            },
            |n: &u32, s: &mut u64| {
                *s += u64::from(*n);
                ok()
            },
        ))
        .threads(2);
    let run = matrix.run(0).unwrap();
    assert_eq!(run.walks, 60_000);
    assert_eq!(run.errors, 0);
    // one fresh inner iterator per outer option: the product is generated, not stored
    assert_eq!(CALLS.load(Ordering::SeqCst), 300);
}

#[test]
fn a_failing_action_ends_its_walk_and_is_counted_with_its_id() {
    let later = AtomicUsize::new(0);
    let later = &*Box::leak(Box::new(later));
    let matrix = Matrix::new()
        .action(action(
            "qty",
            || 0..3u32,
            |q: &u32, _: &mut u32| {
                if *q == 1 {
                    Err(format!("qty {q} is rejected"))
                } else {
                    ok()
                }
            },
        ))
        .action(action(
            "discount",
            || [false, true].into_iter(),
            move |_: &bool, _: &mut u32| {
                later.fetch_add(1, Ordering::SeqCst);
                ok()
            },
        ));
    let run = matrix.run(0).unwrap();
    assert_eq!((run.walks, run.errors), (6, 2));
    // the second action ran only in the 4 walks whose first action succeeded
    assert_eq!(later.load(Ordering::SeqCst), 4);
    let mut expected: Vec<WalkId> = matrix
        .walks()
        .filter(|(_, options)| options[0].value == 1)
        .map(|(id, _)| id)
        .collect();
    expected.sort();
    assert_eq!(run.failed, expected);
    assert!(
        run.failures
            .iter()
            .all(|f| f.action == "qty" && f.message == "qty 1 is rejected")
    );
}

#[test]
fn state_is_cloned_per_walk_and_gathered_states_are_sorted_by_walk_id() {
    let matrix = Matrix::new()
        .action(action(
            "a",
            || ["x", "y"].into_iter().map(String::from),
            |o: &String, s: &mut Vec<String>| {
                s.push(o.clone());
                ok()
            },
        ))
        .action(action(
            "b",
            || 0..3u8,
            |o: &u8, s: &mut Vec<String>| {
                s.push(o.to_string());
                ok()
            },
        ))
        .gather_states(true);
    let run = matrix.run(vec!["start".to_owned()]).unwrap();
    let states = run.states.unwrap();
    assert_eq!(states.len(), 6);
    // every walk started from its own copy: nothing leaks from one walk to another
    assert!(states.iter().all(|(_, s)| s.len() == 3 && s[0] == "start"));
    let ids: Vec<WalkId> = states.iter().map(|(id, _)| *id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let (id, options) = matrix.walks().nth(4).unwrap(); // y, 1
    let state = &states.iter().find(|(i, _)| *i == id).unwrap().1;
    assert_eq!(state, &["start", "y", "1"]);
    assert_eq!(options[0].value, "y");
}

static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn event(text: String) {
    EVENTS.lock().unwrap().push(text);
}

struct Restart;

impl SerialAction<Vec<String>> for Restart {
    type Option = String;
    type Error = String;
    fn name(&self) -> &str {
        "restart"
    }
    fn options(&self) -> Box<dyn Iterator<Item = String> + Send + '_> {
        Box::new(["cold", "warm", "broken"].into_iter().map(String::from))
    }
    fn run(&self, mode: &String, states: &mut [Vec<String>]) -> Result<(), String> {
        event(format!("serial {mode} over {}", states.len()));
        if mode == "broken" {
            return Err("the cluster did not come back".to_owned());
        }
        for s in states {
            s.push(mode.clone());
        }
        Ok(())
    }
}

#[test]
fn a_serial_action_is_a_barrier_that_runs_once_per_option_between_parallel_stages() {
    let matrix = Matrix::new()
        .action(action(
            "write",
            || 0..4u8,
            |n: &u8, s: &mut Vec<String>| {
                event(format!("stage1 {n}"));
                s.push(n.to_string());
                ok()
            },
        ))
        .serial(Restart)
        .action(action(
            "read",
            || 0..2u8,
            |n: &u8, s: &mut Vec<String>| {
                event(format!("stage2 {n}"));
                s.push(format!("r{n}"));
                ok()
            },
        ))
        .threads(2)
        .gather_states(true);
    let run = matrix.run(Vec::new()).unwrap();
    let events = EVENTS.lock().unwrap().clone();
    let first_serial = events.iter().position(|e| e.starts_with("serial")).unwrap();
    let last_serial = events
        .iter()
        .rposition(|e| e.starts_with("serial"))
        .unwrap();
    // every stage-1 prefix ran once, all before the barrier
    assert_eq!(events[..first_serial].len(), 4);
    assert!(
        events[..first_serial]
            .iter()
            .all(|e| e.starts_with("stage1"))
    );
    // the barrier ran once per option, serially, with every prefix's state
    assert_eq!(
        events[first_serial..=last_serial],
        [
            "serial cold over 4",
            "serial warm over 4",
            "serial broken over 4"
        ]
    );
    // then stage 2, for the options that did not fail: 4 prefixes x 2 modes x 2
    assert_eq!(events[last_serial + 1..].len(), 16);
    assert!(
        events[last_serial + 1..]
            .iter()
            .all(|e| e.starts_with("stage2"))
    );
    // 4 x 3 x 2 walks; the 8 through `broken` failed at the barrier
    assert_eq!((run.walks, run.errors), (24, 8));
    assert!(run.failures.iter().all(|f| f.action == "restart"));
    let states = run.states.unwrap();
    assert_eq!(states.len(), 16);
    assert!(states.iter().any(|(_, s)| s == &["2", "warm", "r1"]));
}

#[test]
fn replay_walk_by_id_reruns_exactly_that_walk_from_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let matrix = Matrix::new()
        .action(action(
            "qty",
            || 0..4u32,
            |q: &u32, s: &mut Vec<u32>| {
                s.push(*q);
                if *q == 3 {
                    Err("three".to_owned())
                } else {
                    ok()
                }
            },
        ))
        .action(action(
            "double",
            || [false, true].into_iter(),
            |d: &bool, s: &mut Vec<u32>| {
                if *d {
                    s.push(s[0] * 2);
                }
                ok()
            },
        ))
        .trace(&trace);
    let run = matrix.run(vec![100]).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 8,
        "a header and one line per walk"
    );
    // a failed walk: same failure, state as the failing action left it
    let failed = run.failed[0];
    let replay = matrix.replay_walk_by_id(&trace, failed, vec![100]).unwrap();
    assert_eq!(replay.failure.unwrap().message, "three");
    assert_eq!(replay.state, [100, 3]);
    // a walk that succeeded
    let (id, options) = matrix.walks().nth(5).unwrap(); // qty 2, double
    assert_eq!(
        (options[0].value.clone(), options[1].value.clone()),
        (2.into(), true.into())
    );
    let replay = matrix.replay_walk_by_id(&trace, id, vec![100]).unwrap();
    assert!(replay.failure.is_none());
    assert_eq!(replay.state, [100, 2, 200]);
    // an id that is not there
    let err = matrix
        .replay_walk_by_id(&trace, WalkId(7), vec![])
        .unwrap_err();
    assert!(err.to_string().contains("is not in the trace"), "{err}");
}

#[test]
fn walk_ids_do_not_change_when_an_axis_is_added_at_its_baseline() {
    let qty = || action("qty", || 0..5u32, |_: &u32, _: &mut ()| ok());
    let before: Vec<WalkId> = Matrix::new()
        .action(qty())
        .walks()
        .map(|(id, _)| id)
        .collect();
    let after = Matrix::new()
        .action(
            action(
                "cache",
                || [false, true].into_iter(),
                |_: &bool, _: &mut ()| ok(),
            )
            .with_baseline(false),
        )
        .action(qty());
    let at_baseline: Vec<WalkId> = after
        .walks()
        .filter(|(_, o)| o[0].value == false)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(before, at_baseline);
    let others: Vec<WalkId> = after
        .walks()
        .filter(|(_, o)| o[0].value == true)
        .map(|(id, _)| id)
        .collect();
    assert!(others.iter().all(|id| !before.contains(id)));
}

#[test]
fn shards_split_the_walks_into_disjoint_parts_whose_union_is_the_whole() {
    let matrix = |shard: Option<&str>| {
        Matrix::new()
            .action(action("a", || 0..20u32, |_: &u32, _: &mut ()| ok()))
            .action(action("b", || 0..5u32, |_: &u32, _: &mut ()| ok()))
            .gather_states(true)
            .shard(shard.map(|s| s.parse().unwrap()))
    };
    let all: Vec<WalkId> = matrix(None)
        .run(())
        .unwrap()
        .states
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut union = Vec::new();
    for k in 1..=3 {
        let part = matrix(Some(&format!("{k}/3"))).run(()).unwrap();
        assert!(part.walks > 10, "shard {k} got {} walks", part.walks);
        union.extend(part.states.unwrap().into_iter().map(|(id, _)| id));
    }
    union.sort();
    assert_eq!(union, all);
}
