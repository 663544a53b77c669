#!/usr/bin/env python3
"""NAS-Bench-301 surrogate predictions by onnxruntime, the reference runtime.

Writes the fixture that crates/oxinas-benchmarks/tests/nb301_parity.rs
compares oxinas (tract) with: 200 DARTS architectures drawn with a fixed seed,
each at epoch 98 and at one other epoch, with the surrogate's input vector
`x_cat` and onnxruntime's two outputs at full precision: one row per
architecture, `predictions` = `[[epoch, val_accuracy, runtime], ...]`.

The architecture -> `x_cat` encoding is written here from the published
sources, not from oxinas, so the Rust test checks oxinas' encoding as well as
its runtime:

* the ConfigSpace of NB301 (`config_space.json`): which edge hyperparameter is
  active for which chosen input pair. An edge's input is the one element
  shared by every pair its condition accepts (`edge_normal_2` is active for
  `0_1` and `0_2`: node 3 reading input 0); node 2's edges 0 and 1 have no
  condition (it always reads inputs 0 and 1);
* YAHPO Gym's `cat_names` order (yahpo_gym 1.0.2, `benchmarks/nb301.py`:
  edge_normal_0..13, edge_reduce_0..13, inputs_node_normal_3..5,
  inputs_node_reduce_3..5) and its `_config_to_xs` (value codes from
  `encoding.json`, an inactive hyperparameter coded as `#na#`, `x_cont` =
  the epoch as float32);
* the compact genotype (NASLib): per cell eight (input, op) pairs, pairs
  2k and 2k+1 feeding node k + 2, ops indexed into NASLIB_OPS.

YAHPO applies no post-processing to the model's output: `objective_function`
zips the raw output row with `y_names`. For `new_model.onnx` the row is
`[val_accuracy (%), runtime (s)]` (data MANIFEST); both are written.

Run (onnxruntime 1.32.0 and numpy 2.4.6 were used for the committed fixture):

    pip install onnxruntime numpy
    python3 benchmarks/reference/nb301_onnxruntime.py \
        --data "$OXINAS_DATA/nb301/yahpo_nb301" \
        --out crates/oxinas-benchmarks/tests/fixtures/nb301_onnxruntime.json
"""

import argparse
import json
import random
import sys

import numpy as np
import onnxruntime as ort

PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
NASLIB_OPS = [
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]
CELLS = ["normal", "reduce"]
SEED = 301
ARCHS = 200


def cat_names():
    """YAHPO Gym's input order (yahpo_gym 1.0.2, benchmarks/nb301.py)."""
    names = [f"{PREFIX}edge_{c}_{e}" for c in CELLS for e in range(14)]
    names += [f"{PREFIX}inputs_node_{c}_{n}" for c in CELLS for n in (3, 4, 5)]
    return names


def edge_table(config_space):
    """(cell, node, input) -> edge hyperparameter name, from the conditions."""
    table = {}
    conditioned = set()
    for cond in config_space["conditions"]:
        child, parent = cond["child"], cond["parent"]
        if "_edge_" not in child:
            continue
        assert cond["type"] == "IN", cond
        conditioned.add(child)
        cell = child.split("_edge_")[1].split("_")[0]
        node = int(parent.rsplit("_", 1)[1])
        pairs = [set(map(int, v.split("_"))) for v in cond["values"]]
        shared = set.intersection(*pairs)
        assert len(shared) == 1, cond
        table[(cell, node, shared.pop())] = child
    for cell in CELLS:
        for i in (0, 1):
            name = f"{PREFIX}edge_{cell}_{i}"
            assert name not in conditioned, name
            table[(cell, 2, i)] = name
    assert len(table) == 28, len(table)
    return table


def sample_arch(rng):
    """Two cells of four nodes; node k reads two distinct earlier states."""
    cells = []
    for _ in CELLS:
        edges = []
        for node in range(2, 6):
            for inp in rng.sample(range(node), 2):
                edges.append((inp, rng.randrange(len(NASLIB_OPS))))
        cells.append(edges)
    return cells


def compact(cells):
    return "[" + ", ".join(
        "[" + ", ".join(f"({i}, {o})" for i, o in edges) + "]" for edges in cells
    ) + "]"


def configuration(cells, table):
    """The NB301 ConfigSpace values of an architecture (active ones only)."""
    config = {}
    for cell, edges in zip(CELLS, cells):
        for k in range(4):
            node = k + 2
            pair = edges[2 * k : 2 * k + 2]
            for inp, op in pair:
                config[table[(cell, node, inp)]] = NASLIB_OPS[op]
            if node >= 3:
                a, b = sorted(inp for inp, _ in pair)
                config[f"{PREFIX}inputs_node_{cell}_{node}"] = f"{a}_{b}"
    return config


def check_conditions(config, config_space):
    """Every conditioned hyperparameter is set exactly when its condition holds."""
    for cond in config_space["conditions"]:
        active = config.get(cond["parent"]) in cond["values"]
        assert active == (cond["child"] in config), cond


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the yahpo_nb301 directory")
    parser.add_argument("--out", required=True, help="fixture to write (JSON)")
    args = parser.parse_args()

    with open(f"{args.data}/encoding.json") as f:
        encoding = json.load(f)
    with open(f"{args.data}/config_space.json") as f:
        config_space = json.load(f)
    table = edge_table(config_space)
    names = cat_names()

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        f"{args.data}/new_model.onnx", sess_options=options, providers=["CPUExecutionProvider"]
    )
    inputs = [i.name for i in session.get_inputs()]
    assert inputs == ["x_cat", "x_cont"], inputs

    rng = random.Random(SEED)
    rows = []
    for _ in range(ARCHS):
        cells = sample_arch(rng)
        config = configuration(cells, table)
        check_conditions(config, config_space)
        x_cat = [encoding[n][config.get(n, "#na#")] for n in names]
        predictions = []
        for epoch in (98, rng.randint(1, 97)):
            (out,) = session.run(
                None,
                {
                    "x_cat": np.array([x_cat], dtype=np.int32),
                    "x_cont": np.array([[epoch]], dtype=np.float32),
                },
            )
            assert out.shape == (1, 2) and out.dtype == np.float32, (out.shape, out.dtype)
            # float32 widened to float64 exactly; repr round-trips.
            predictions.append([epoch, float(out[0, 0]), float(out[0, 1])])
        rows.append({"arch": compact(cells), "x_cat": x_cat, "predictions": predictions})

    fixture = {
        "source": "benchmarks/reference/nb301_onnxruntime.py",
        "model": "nb301/yahpo_nb301/new_model.onnx",
        "onnxruntime": ort.__version__,
        "seed": SEED,
        "outputs": ["val_accuracy (%)", "runtime (s)"],
        "rows": rows,
    }
    # One row per line: small diffs when the fixture is regenerated.
    head = {k: v for k, v in fixture.items() if k != "rows"}
    with open(args.out, "w") as f:
        f.write(json.dumps(head)[:-1] + ', "rows": [\n')
        f.write(",\n".join(json.dumps(r) for r in rows))
        f.write("\n]}\n")
    vals = [r["predictions"][0][1] for r in rows]
    print(
        f"{len(rows)} rows; epoch-98 val_accuracy {min(vals):.3f}..{max(vals):.3f}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
