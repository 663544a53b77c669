//! Declared spaces are full spaces: NAS-Bench-201 and NAS-Bench-101 declared
//! in TOML agree with the built-in spaces, and random declarations obey the
//! space laws.

use std::collections::{HashMap, HashSet};

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, RngCore, SearchSpace};
use oxinas_spaces::{DeclaredArch, DeclaredSpace, Nb101Space, Nb201Space, OpsOn};
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};
use proptest::prelude::*;
use rand::Rng;

const NB201: &str = r#"
name = "nb201-declared"
format = { template = "|{edge_0_1}~0|+|{edge_0_2}~0|{edge_1_2}~1|+|{edge_0_3}~0|{edge_1_3}~1|{edge_2_3}~2|" }

[graph]
nodes = 4
ops_on = "edges"
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
zero_op = "none"
identity_op = "skip_connect"
"#;

const NB101: &str = r#"
name = "nb101-declared"

[graph]
nodes = 7
ops_on = "nodes"
ops = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]
max_edges = 9
"#;

fn nb201() -> DeclaredSpace {
    DeclaredSpace::from_toml(NB201, None).unwrap()
}

#[test]
fn nb201_declared_has_the_built_in_architectures_and_classes() {
    let declared = nb201();
    let built_in = Nb201Space::new();
    assert_eq!(declared.cardinality(), Some(15_625));
    let archs: Vec<DeclaredArch> = declared.enumerate().collect();
    assert_eq!(archs.len(), 15_625);
    let classes: HashSet<String> = archs.iter().map(|a| declared.canonical(a)).collect();
    // The NAS-Bench-201 paper's count of unique cells.
    assert_eq!(classes.len(), 6_466);
    // Same strings, and the same partition into classes as the built-in space.
    let mut pairs: HashMap<String, String> = HashMap::new();
    let mut reverse: HashMap<String, String> = HashMap::new();
    for b in built_in.enumerate() {
        let text = built_in.format(&b);
        let d = declared.parse(&text).unwrap();
        assert_eq!(declared.format(&d), text);
        let (dk, bk) = (declared.canonical(&d), built_in.canonical(&b));
        assert_eq!(pairs.entry(dk.clone()).or_insert_with(|| bk.clone()), &bk);
        assert_eq!(reverse.entry(bk).or_insert(dk.clone()), &dk);
    }
}

#[test]
fn nb201_declared_obeys_the_laws_and_samples_uniformly() {
    let space = nb201();
    SpaceLaws::new(&space, |a| space.is_valid(a))
        .symmetric_neighbors()
        .cases(128)
        .assert();
    check_uniform_sampling(&space, |a| a.clone(), 100_000, 7).unwrap();
    let built_in = Nb201Space::new();
    let a = space
        .parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
        .unwrap();
    // 6 edges x 4 other ops, as the built-in space.
    let b = built_in.parse(&space.format(&a)).unwrap();
    assert_eq!(space.neighbors(&a).len(), built_in.neighbors(&b).len());
}

/// The declared NB101 cell of a built-in one (pruned, then padded to 7 vertices).
fn nb101_cell(space: &DeclaredSpace, cell: &oxinas_spaces::Nb101Arch) -> DeclaredArch {
    let cell = cell.pruned().padded();
    let graph = space.graph().unwrap();
    let mut texts: Vec<String> = Vec::new();
    for &node in graph.interior() {
        texts.push(cell.op(node).unwrap().name().to_owned());
    }
    for &(from, to) in graph.edges() {
        texts.push(if cell.has_edge(from, to) { "1" } else { "0" }.to_owned());
    }
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    space.from_texts(&refs).unwrap()
}

#[test]
fn nb101_declared_merges_exactly_the_cells_the_official_hash_merges() {
    let declared = DeclaredSpace::from_toml(NB101, None).unwrap();
    let built_in = Nb101Space::new();
    let mut rng = rng_from_seed(3);
    let mut by_hash: HashMap<String, String> = HashMap::new();
    let mut by_key: HashMap<String, String> = HashMap::new();
    for _ in 0..3_000 {
        let a = built_in.sample(&mut rng);
        let b = built_in.relabel(&a, &mut rng);
        for cell in [a, b] {
            let key = declared.canonical(&nb101_cell(&declared, &cell));
            let hash = format!("{:?}", built_in.hash(&cell));
            assert_eq!(
                by_hash.entry(hash.clone()).or_insert_with(|| key.clone()),
                &key
            );
            assert_eq!(by_key.entry(key).or_insert(hash.clone()), &hash);
        }
    }
    assert!(by_hash.len() > 1_000, "{} classes", by_hash.len());
}

/// A random relabelling of a node-op cell: interior nodes renumbered along a
/// random topological order of its present edges.
fn relabel_nodes(
    space: &DeclaredSpace,
    arch: &DeclaredArch,
    rng: &mut dyn RngCore,
) -> DeclaredArch {
    let graph = space.graph().unwrap();
    let cell = graph.cell(arch.raw());
    let n = graph.nodes();
    let mut order = vec![graph.input()];
    let mut placed = vec![false; n];
    placed[graph.input()] = true;
    placed[graph.output()] = true;
    while order.len() < n - 1 {
        let ready: Vec<usize> = (0..n)
            .filter(|&v| !placed[v])
            .filter(|&v| {
                cell.edges
                    .iter()
                    .all(|&(from, to, _)| to != v || placed[from] && from != graph.output())
            })
            .collect();
        let v = ready[rng.random_range(0..ready.len())];
        placed[v] = true;
        order.push(v);
    }
    order.push(graph.output());
    // New label of old node `order[i]` is `i`.
    let mut label = vec![0; n];
    for (i, &v) in order.iter().enumerate() {
        label[v] = i;
    }
    let texts: Vec<String> = graph
        .interior()
        .iter()
        .map(|&new| {
            let old = order[new];
            graph.ops()[usize::from(cell.node_ops[old].unwrap())].clone()
        })
        .chain(graph.edges().iter().map(|&(from, to)| {
            let present = cell
                .edges
                .iter()
                .any(|&(a, b, _)| label[a] == from && label[b] == to);
            if present { "1" } else { "0" }.to_owned()
        }))
        .collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    space.from_texts(&refs).unwrap()
}

#[test]
fn nb101_declared_obeys_the_laws_with_relabelling() {
    let space = DeclaredSpace::from_toml(NB101, None).unwrap();
    assert_eq!(space.graph().unwrap().ops_on(), OpsOn::Nodes);
    SpaceLaws::new(&space, |a| space.is_valid(a))
        .relabel(|a, rng| relabel_nodes(&space, a, rng))
        .cases(128)
        .assert();
    // 2^21 edge patterns x 3^5 ops: too many to count by enumeration.
    assert_eq!(space.cardinality(), None);
}

const CONDITIONAL: &str = r#"
name = "conditional"
format = { separator = "," }

[[choice]]
name = "block"
values = ["conv", "mlp"]

[[choice]]
name = "kernel"
values = [3, 5, 7]

[[choice]]
name = "width"
range = [16, 64]
step = 16

[[choice]]
name = "op"
values = ["a", "b"]
repeat = 2

[[condition]]
choice = "kernel"
when = "block"
in = ["conv"]

[[forbidden]]
kernel = 7
width = [16, 32]
"#;

#[test]
fn a_conditional_space_counts_samples_and_formats_by_hand() {
    let space = DeclaredSpace::from_toml(CONDITIONAL, None).unwrap();
    // conv: 3 kernels x 4 widths - (kernel 7 with width 16 or 32) = 10, times 4 op pairs = 40;
    // mlp: 4 widths x 4 op pairs = 16.
    assert_eq!(space.cardinality(), Some(56));
    assert_eq!(space.enumerate().count(), 56);
    let a = space.parse("mlp,-,48,b,a").unwrap();
    assert_eq!(space.format(&a), "mlp,-,48,b,a");
    let error = space.parse("mlp,3,48,b,a").unwrap_err().to_string();
    assert!(error.contains("`kernel` to be inactive"), "{error}");
    let error = space.parse("conv,7,32,b,a").unwrap_err().to_string();
    assert!(
        error.contains("kernel = 7, width = 32 is forbidden"),
        "{error}"
    );
    let error = space.parse("conv,9,32,b,a").unwrap_err().to_string();
    assert!(
        error.contains("`kernel` to be one of 3, 5, 7, found `9`"),
        "{error}"
    );
    // Width is ordered: its neighbours are the adjacent widths only.
    let widths: HashSet<String> = space
        .neighbors(&a)
        .iter()
        .map(|n| space.texts(n)[2].to_owned())
        .collect();
    assert_eq!(
        widths,
        HashSet::from(["32".to_owned(), "48".to_owned(), "64".to_owned()])
    );
    SpaceLaws::new(&space, |a| space.is_valid(a))
        .cases(256)
        .assert();
    // Uniform over the 56 architectures, although conv and mlp differ in size.
    check_uniform_sampling(&space, |a| a.clone(), 56 * 200, 11).unwrap();
}

/// A random declaration: up to four choices, a condition, a forbidden pair,
/// and sometimes a small graph.
fn declaration(seed: u64) -> String {
    let mut rng = rng_from_seed(seed);
    let mut text = format!("name = \"random-{seed}\"\nformat = {{ separator = \",\" }}\n");
    let graph = rng.random_range(0..3);
    if graph > 0 {
        let nodes = rng.random_range(3..=4);
        let ops = rng.random_range(2..=3);
        let names: Vec<String> = (0..ops).map(|i| format!("\"op{i}\"")).collect();
        let on = if graph == 1 { "edges" } else { "nodes" };
        text += &format!(
            "[graph]\nnodes = {nodes}\nops_on = \"{on}\"\nops = [{}]\n",
            names.join(", ")
        );
        if rng.random::<bool>() {
            text += "zero_op = \"op0\"\n";
        }
        if rng.random::<bool>() {
            text += "identity_op = \"op1\"\n";
        }
    }
    let choices = rng.random_range(usize::from(graph == 0)..=3);
    let mut sizes = Vec::new();
    for c in 0..choices {
        let size = rng.random_range(2..=4);
        sizes.push(size);
        if rng.random::<bool>() {
            let values: Vec<String> = (0..size).map(|v| format!("\"v{v}\"")).collect();
            text += &format!(
                "[[choice]]\nname = \"c{c}\"\nvalues = [{}]\n",
                values.join(", ")
            );
        } else {
            text += &format!("[[choice]]\nname = \"c{c}\"\nrange = [0, {}]\n", size - 1);
        }
    }
    let value = |c: usize, v: usize, text: &str| {
        if text.contains(&format!("name = \"c{c}\"\nvalues")) {
            format!("\"v{v}\"")
        } else {
            v.to_string()
        }
    };
    if choices >= 2 && rng.random::<bool>() {
        let on = rng.random_range(1..choices);
        let when = rng.random_range(0..on);
        let v = value(when, rng.random_range(0..sizes[when]), &text);
        text += &format!("[[condition]]\nchoice = \"c{on}\"\nwhen = \"c{when}\"\nin = [{v}]\n");
    }
    if choices >= 2 && rng.random::<bool>() {
        let (a, b) = (0, choices - 1);
        let va = value(a, rng.random_range(0..sizes[a]), &text);
        let vb = value(b, rng.random_range(0..sizes[b]), &text);
        text += &format!("[[forbidden]]\nc{a} = {va}\nc{b} = {vb}\n");
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_declarations_obey_the_space_laws(seed in any::<u64>()) {
        let text = declaration(seed);
        let space = DeclaredSpace::from_toml(&text, None)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let all: Vec<DeclaredArch> = space.enumerate().collect();
        prop_assume!(all.len() >= 2);
        prop_assert_eq!(space.cardinality(), Some(all.len() as u128), "{}", text);
        let distinct: HashSet<&DeclaredArch> = all.iter().collect();
        prop_assert_eq!(distinct.len(), all.len());
        for a in &all {
            prop_assert!(space.is_valid(a));
        }
        SpaceLaws::new(&space, |a| space.is_valid(a))
            .cases(16)
            .seed(seed)
            .check()
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    }
}

#[test]
fn bad_declarations_name_the_key_and_line() {
    let cases: [(&str, &str, &str); 9] = [
        (
            "name = \"x\"\n[[choice]]\nname = \"a\"\nvalues = []\n",
            "line 2: [[choice]] `a`",
            "at least one value",
        ),
        (
            "name = \"x\"\n[[choice]]\nname = \"a\"\nvalues = [1]\n[[choice]]\nname = \"a\"\nvalues = [2]\n",
            "line 5: [[choice]] `a`",
            "not used by another choice",
        ),
        (
            "name = \"x\"\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\n[[condition]]\nchoice = \"a\"\nwhen = \"b\"\nin = [1]\n",
            "line 5: [[condition]] on `a`",
            "found `b`",
        ),
        (
            "name = \"x\"\n[graph]\nnodes = 4\nops_on = \"edges\"\nops = [\"conv\"]\nedges = [[0, 1], [1, 2], [2, 1], [2, 3]]\n",
            "line 2: graph.edges",
            "lie on a cycle",
        ),
        (
            "name = \"x\"\n[graph]\nnodes = 4\nops_on = \"edges\"\nops = [\"conv\"]\nedges = [[0, 1], [1, 3]]\n",
            "graph.edges",
            "node 2 is not on any path",
        ),
        (
            "name = \"x\"\n[graph]\nnodes = 3\nops_on = \"edges\"\nops = [\"conv\"]\nzero_op = \"zero\"\n",
            "graph.zero_op",
            "found `zero`",
        ),
        (
            "name = \"x\"\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\ncolour = \"red\"\n",
            "line 5: space file",
            "unknown field `colour`",
        ),
        (
            "name = \"x\"\nformat = { template = \"{a}-{b}\" }\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\n",
            "line 2: format.template",
            "`{b}` to name a declared choice",
        ),
        (
            "name = \"x\"\n[[choice]]\nname = \"a\"\nvalues = [1]\n[[forbidden]]\na = 1\n",
            "space",
            "none in 100000 random draws",
        ),
    ];
    for (text, place, expected) in cases {
        let message = DeclaredSpace::from_toml(text, Some(std::path::Path::new("s.toml")))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(place) && message.contains(expected) && message.starts_with("s.toml"),
            "{message}\n---\n{text}"
        );
    }
}

#[test]
fn templates_read_values_that_contain_their_literal_text() {
    let space = DeclaredSpace::from_toml(
        r#"
        name = "underscores"
        format = { template = "<{a}_{b}>" }
        [[choice]]
        name = "a"
        values = ["x_y", "w"]
        [[choice]]
        name = "b"
        values = ["z", "q_r"]
        "#,
        None,
    )
    .unwrap();
    let arch = space.parse("<x_y_q_r>").unwrap();
    assert_eq!(space.texts(&arch), ["x_y", "q_r"]);
    assert_eq!(space.format(&arch), "<x_y_q_r>");
    let error = space.parse("<x_y_r>").unwrap_err().to_string();
    assert!(error.contains("text of the form `<{..}_{..}>`"), "{error}");
    let missing = DeclaredSpace::from_toml(
        "name = \"x\"\nformat = { template = \"{a}\" }\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\n[[choice]]\nname = \"b\"\nvalues = [1, 2]\n",
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        missing.contains("line 2: format.template: a placeholder `{b}`"),
        "{missing}"
    );
}

const LAYERWISE: &str = r#"
name = "layerwise"

[[choice]]
name = "depth"
values = [2, 3]

[[choice]]
name = "op"
values = ["conv3x3", "sep_conv5x5", "mbconv3x3_e3", "max_pool3x3", "skip"]
repeat = 3

[[choice]]
name = "width"
values = [8, 16]
repeat = 3

[[choice]]
name = "stride"
values = [1, 2]

[[condition]]
choice = "op_2"
when = "depth"
in = [3]

[network]
layers = 3
op = "op"
width = "width"
stride = "stride"
stem = 4
"#;

#[test]
fn a_layerwise_declaration_gives_each_layer_its_op_width_and_stride() {
    use oxinas_spaces::{LayerOp, LayerSpec};
    let space = DeclaredSpace::from_toml(LAYERWISE, None).unwrap();
    assert_eq!(space.network().unwrap().stem(), 4);
    // Depth 2: the third layer's op is inactive, so the network has two layers.
    let arch = space.parse("2 mbconv3x3_e3 skip - 16 8 8 2").unwrap();
    assert_eq!(
        space.layers(&arch).unwrap(),
        vec![
            LayerSpec {
                op: LayerOp::MbConv {
                    kernel: 3,
                    expansion: 3
                },
                width: 16,
                stride: 2
            },
            LayerSpec {
                op: LayerOp::Skip,
                width: 8,
                stride: 2
            },
        ]
    );
    let deep = space
        .parse("3 conv3x3 sep_conv5x5 max_pool3x3 8 8 16 1")
        .unwrap();
    assert_eq!(space.layers(&deep).unwrap().len(), 3);
    assert_eq!(
        space.layers(&deep).unwrap()[2].op,
        LayerOp::MaxPool { kernel: 3 }
    );
    for name in [
        "conv3x3",
        "sep_conv5x5",
        "mbconv5x5_e6",
        "max_pool3x3",
        "avg_pool3x3",
        "skip",
    ] {
        assert_eq!(LayerOp::parse(name).unwrap().to_string(), name);
    }
    for bad in [
        "conv2x2",
        "conv3x5",
        "mbconv3x3",
        "mbconv3x3_e9",
        "pool",
        "sep_conv13x13",
    ] {
        assert_eq!(LayerOp::parse(bad), None, "{bad}");
    }
    let unknown = LAYERWISE.replace("\"skip\"]", "\"lstm\"]");
    let message = DeclaredSpace::from_toml(&unknown, None)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("line 27: network.op") && message.contains("has `lstm`"),
        "{message}"
    );
    let missing = LAYERWISE.replace("width = \"width\"", "width = \"channels\"");
    let message = DeclaredSpace::from_toml(&missing, None)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("a choice `channels_0` or `channels` for layer 0"),
        "{message}"
    );
    SpaceLaws::new(&space, |a| space.is_valid(a)).assert();
}
