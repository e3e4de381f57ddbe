//! Tests of `yaml`.

use super::*;

fn root(text: &str) -> Node {
    let doc = parse(text);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    doc.root.expect("a document")
}

fn entries(node: &Node) -> &[(Node, Node)] {
    match &node.kind {
        Kind::Map(e) => e,
        other => panic!("not a map: {other:?}"),
    }
}

#[test]
fn scalars_keep_text_and_quoting() {
    let r = root("a: 512\nb: \"512\"\nc: 'x'\nd:\ne: ~\nf: |\n  text\n");
    let e = entries(&r);
    assert_eq!(
        e[0].1.kind,
        Kind::Scalar {
            value: "512".into(),
            plain: true
        }
    );
    assert_eq!(
        e[1].1.kind,
        Kind::Scalar {
            value: "512".into(),
            plain: false
        }
    );
    assert_eq!(e[1].1.describe(), "a string");
    assert_eq!(e[0].1.describe(), "a number");
    assert_eq!(e[3].1.kind, Kind::Null);
    assert_eq!(e[4].1.kind, Kind::Null);
    assert_eq!(
        e[5].1.kind,
        Kind::Scalar {
            value: "text\n".into(),
            plain: false
        }
    );
}

#[test]
fn positions_are_one_based_and_in_bytes() {
    let text = "é: ü\nkey:\n  inner: [1, \"two\"]\n";
    let r = root(text);
    let e = entries(&r);
    assert_eq!((e[0].1.line, e[0].1.col), (1, 4));
    assert_eq!(&text[e[0].1.span.offset..][..e[0].1.span.len], "ü");
    let inner = entries(&e[1].1);
    let Kind::Seq(items) = &inner[0].1.kind else {
        panic!("not a list")
    };
    assert_eq!((items[1].line, items[1].col), (3, 14));
    assert_eq!(
        &text[items[1].span.offset..][..items[1].span.len],
        "\"two\""
    );
}

#[test]
fn duplicate_key_points_at_second_and_names_first_line() {
    let doc = parse("http:\n  memory: 1\n  timeout: 2\n  memory: 3\n");
    assert_eq!(doc.problems.len(), 1);
    let p = &doc.problems[0];
    assert_eq!((p.line, p.col), (4, 3));
    assert_eq!(p.path, "http.memory");
    assert!(p.message.contains("line 2"), "{}", p.message);
    // The first value is kept.
    let r = doc.root.expect("root");
    let http = entries(&entries(&r)[0].1);
    assert_eq!(http.len(), 2);
    assert_eq!(http[0].1.scalar(), Some("1"));
}

#[test]
fn aliases_resolve_and_recursion_is_rejected() {
    let r = root("base: &b\n  x: 1\ncopy: *b\n");
    let e = entries(&r);
    assert_eq!(entries(&e[1].1)[0].1.scalar(), Some("1"));
    assert_eq!(e[1].1.line, 3);
    let doc = parse("a: &x [*x]\n");
    assert!(doc.root.is_none());
    assert!(doc.problems[0].message.contains("alias"));
}

#[test]
fn alias_bombs_are_stopped() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let doc = parse(&text);
    assert!(doc.root.is_none());
    assert!(doc.problems[0].message.contains("more than"));
}

#[test]
fn second_document_and_tags_and_merge_keys_are_rejected() {
    let doc = parse("a: 1\n---\nb: 2\n");
    assert!(doc.root.is_none());
    assert_eq!(doc.problems[0].line, 2);
    let doc = parse("a: !custom 1\n");
    assert!(doc.problems[0].message.contains("tag"));
    let doc = parse("a: !!str 5\n");
    assert!(doc.problems.is_empty());
    let doc = parse("base: &b {x: 1}\nother:\n  <<: *b\n");
    assert!(doc.problems[0].message.contains("merge keys"));
    assert_eq!(doc.problems[0].line, 3);
}

#[test]
fn empty_text_has_no_document() {
    assert!(parse("").root.is_none());
    assert!(parse("# only a comment\n").root.is_none());
    assert!(parse("").problems.is_empty());
}

#[test]
fn locate_counts_characters() {
    assert_eq!(locate("ab\ncé d", 7), (2, 4));
    assert_eq!(locate("", 0), (1, 1));
    for text in ["ab\ncé d", "", "\n\nx", "é\nèé\n"] {
        let lines = Lines::new(text);
        for offset in 0..=text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(
                    lines.locate(offset),
                    locate(text, offset),
                    "{text:?} {offset}"
                );
            }
        }
    }
}
