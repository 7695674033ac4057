//! Properties of the parser and the equivalence judge: no panics on random
//! input, bounded work on huge input, and value equality across notations.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ineqmath::equivalent_str;
use ineqmath::latex::parse_expr;
use proptest::prelude::*;

/// Runs `f` on a thread and fails if it has not returned within `limit`
/// (a hang detector, not a timing test).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("returned before the time limit")
}

#[test]
fn perfect_powers_return() {
    for (gold, pred) in [
        ("4^{1/2}", "2"),
        ("\\sqrt[2]{4}", "2"),
        ("8^{1/3}", "2"),
        ("4^{3/2}", "8"),
    ] {
        let verdict = within(Duration::from_secs(1), move || equivalent_str(gold, pred));
        assert!(verdict.equal, "{gold} = {pred}");
    }
}

#[test]
fn huge_inputs_are_errors() {
    let inputs = [
        "10^{10^{10}}".to_string(),
        "7".repeat(5_000),
        format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}1{}", "(".repeat(4_000), ")".repeat(4_000)),
    ];
    for input in inputs {
        let shown = input.chars().take(20).collect::<String>();
        let verdict = within(Duration::from_secs(5), move || equivalent_str(&input, "1"));
        assert!(!verdict.equal, "{shown}…");
        assert_eq!(verdict.method.name(), "unparsed", "{shown}…");
    }
}

/// A random expression over small integers, rendered in two notations.
#[derive(Clone, Debug)]
enum Tree {
    Leaf(u8),
    Add(Box<Tree>, Box<Tree>),
    Mul(Box<Tree>, Box<Tree>),
    Div(Box<Tree>, Box<Tree>),
    Sqrt(Box<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = (1u8..=9).prop_map(Tree::Leaf);
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Add(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Mul(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Div(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Tree::Sqrt(Box::new(a))),
        ]
    })
}

/// LaTeX: `\frac{a}{b}`, `\sqrt{x}`, `\cdot`.
fn latex(t: &Tree) -> String {
    match t {
        Tree::Leaf(n) => n.to_string(),
        Tree::Add(a, b) => format!("({} + {})", latex(a), latex(b)),
        Tree::Mul(a, b) => format!("{{{}}} \\cdot {{{}}}", latex(a), latex(b)),
        Tree::Div(a, b) => format!("\\frac{{{}}}{{{}}}", latex(a), latex(b)),
        Tree::Sqrt(a) => format!("\\sqrt{{{}}}", latex(a)),
    }
}

/// ASCII: `a/b`, `x^{1/2}`, juxtaposition.
fn ascii(t: &Tree) -> String {
    match t {
        Tree::Leaf(n) => n.to_string(),
        Tree::Add(a, b) => format!("({}+{})", ascii(a), ascii(b)),
        Tree::Mul(a, b) => format!("({})({})", ascii(a), ascii(b)),
        Tree::Div(a, b) => format!("({})/({})", ascii(a), ascii(b)),
        Tree::Sqrt(a) => format!("({})^{{1/2}}", ascii(a)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,60}") {
        let _ = parse_expr(&s);
        let _ = equivalent_str(&s, "1");
    }

    #[test]
    fn latexish_strings_never_panic(s in "[0-9a-z\\\\{}()\\[\\]^_+*/=.,| -]{0,40}") {
        let _ = equivalent_str(&s, &s.chars().rev().collect::<String>());
    }

    #[test]
    fn notations_are_equivalent(t in tree()) {
        let verdict = equivalent_str(&latex(&t), &ascii(&t));
        prop_assert!(verdict.equal, "{} vs {}: {verdict:?}", latex(&t), ascii(&t));
    }

    #[test]
    fn plus_one_is_not_equivalent(t in tree()) {
        let shifted = format!("{} + 1", ascii(&t));
        let verdict = equivalent_str(&latex(&t), &shifted);
        prop_assert!(!verdict.equal, "{} vs {shifted}", latex(&t));
    }
}
