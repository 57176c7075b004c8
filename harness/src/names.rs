//! Test names: `<category>::<short id>`, or `<category>::<name from metadata>`.

use std::collections::{BTreeMap, HashMap};

use playback_store::Summary;

/// How many characters of the ULID a short id has at least: its last 10 (50 random
/// bits), lengthened only where two recordings of a category share them.
pub(crate) const SHORT_ID_LEN: usize = 10;

/// The test name of every summary, in the same order.
///
/// - `<category>::<short id>`: the shortest suffix of the ULID, at least
///   [`SHORT_ID_LEN`] characters, that no other recording of the category shares;
/// - `<category>::<name>` when the metadata holds a string `name_key` (control
///   characters become `_`), and `<category>::<name>::<short id>` for recordings that
///   share one.
///
/// A name depends only on the recording and on the recordings that collide with it, so
/// adding a recording never renames another, collisions aside.
pub(crate) fn test_names(summaries: &[Summary], name_key: &str) -> Vec<String> {
    let mut ids_by_category: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in summaries {
        ids_by_category
            .entry(&s.category)
            .or_default()
            .push(s.id.as_str());
    }
    let given: Vec<Option<String>> = summaries
        .iter()
        .map(|s| {
            s.metadata
                .get(name_key)
                .and_then(|v| v.as_str())
                .filter(|n| !n.trim().is_empty())
                .map(clean)
        })
        .collect();
    let mut given_count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (s, name) in summaries.iter().zip(&given) {
        if let Some(name) = name {
            *given_count.entry((&s.category, name)).or_default() += 1;
        }
    }
    summaries
        .iter()
        .zip(&given)
        .map(|(s, name)| {
            let short = || short_id(s.id.as_str(), &ids_by_category[s.category.as_str()]);
            match name {
                Some(name) if given_count[&(s.category.as_str(), name.as_str())] == 1 => {
                    format!("{}::{name}", s.category)
                }
                Some(name) => format!("{}::{name}::{}", s.category, short()),
                None => format!("{}::{}", s.category, short()),
            }
        })
        .collect()
}

/// The shortest suffix of `id`, at least [`SHORT_ID_LEN`] long, that ends no other id
/// of `ids`.
pub(crate) fn short_id<'a>(id: &'a str, ids: &[&str]) -> &'a str {
    let mut len = SHORT_ID_LEN.min(id.len());
    while len < id.len() {
        let suffix = &id[id.len() - len..];
        if !ids
            .iter()
            .any(|other| *other != id && other.ends_with(suffix))
        {
            break;
        }
        len += 1;
    }
    &id[id.len() - len..]
}

fn clean(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use playback_store::{Recording, RecordingId};

    fn summary(category: &str, id: &str, name: Option<&str>) -> Summary {
        let mut b = Recording::builder(category).id(RecordingId::parse(id).unwrap());
        if let Some(name) = name {
            b = b.metadata("test_name", name);
        }
        b.build().summary()
    }

    #[test]
    fn short_ids_are_the_last_ten_characters_lengthened_only_on_collision() {
        let ids = [
            "01KE4F9ZQE00000000000AAAAA",
            "01KE4F9ZQE11111000000AAAAA",
            "01KE4F9ZQE22222000000AAAAA",
            "01KE4F9ZQE3333333333BBBBBB",
        ];
        let shorts: Vec<&str> = ids.iter().map(|id| short_id(id, &ids)).collect();
        assert_eq!(
            shorts,
            ["0000000AAAAA", "1000000AAAAA", "2000000AAAAA", "3333BBBBBB"]
        );
        assert_eq!(short_id(ids[3], &ids).len(), SHORT_ID_LEN);
    }

    #[test]
    fn names_use_the_category_the_short_id_or_the_metadata_name() {
        let summaries = [
            summary("quote", "01KE4F9ZQE00000000000AAAAA", None),
            summary("quote", "01KE4F9ZQE0000000000000001", Some("usd quote")),
            summary("quote", "01KE4F9ZQE0000000000000002", Some("eur quote")),
            summary("quote", "01KE4F9ZQE0000000000000003", Some("eur quote")),
            summary("checkout", "01KE4F9ZQE10000000000AAAAA", None),
            summary(
                "checkout",
                "01KE4F9ZQE0000000000000004",
                Some("line\nbreak"),
            ),
            summary("checkout", "01KE4F9ZQE0000000000000005", Some("  ")),
        ];
        assert_eq!(
            test_names(&summaries, "test_name"),
            [
                "quote::00000AAAAA",
                "quote::usd quote",
                "quote::eur quote::0000000002",
                "quote::eur quote::0000000003",
                "checkout::00000AAAAA",
                "checkout::line_break",
                "checkout::0000000005",
            ]
        );
        // another key: every name is a short id
        let names = test_names(&summaries, "other");
        assert!(
            names
                .iter()
                .all(|n| n.rsplit("::").next().unwrap().len() >= SHORT_ID_LEN)
        );
    }
}
