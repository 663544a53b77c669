#!/usr/bin/env python3
"""Random search and regularized evolution on NAS-Bench-201, in plain Python.

The side-by-side reference for oxinas's NB201 search benchmark: the same
Table 5 protocol as configs/nb201-table5.toml (Dong & Yang, ICLR 2020),
written with the standard library only so that it runs wherever python3 does.

Protocol: search on cifar10-valid with the 12-epoch validation accuracy; a
query costs 12/200 of the cell's recorded 200-epoch training time; a trial
ends at the first query that would take the total past 12,000 s (that query
is not charged); the trial returns the query with the best 12-epoch
validation accuracy (earliest on ties) and is scored with that cell's
200-epoch accuracies. REA: population 10, tournament 3 (drawn with
replacement), mutation = one uniformly chosen edge changed to one of the
four other ops, oldest member removed.

Prints one JSON object: load and search seconds (timed separately, so the
interpreter's start-up is not counted), queries, the means per optimizer and
whether each mean is within the config's tolerance of the paper's value.

    python3 nb201_search.py --data $OXINAS_DATA/nb201/nb201_merged.csv --trials 500
"""

import argparse
import csv
import json
import random
import sys
import time
from collections import deque

NUM_EDGES = 6
NUM_OPS = 5
FIDELITY = 12
BUDGET_SECONDS = 12000.0

# (label, CSV column, tolerance, paper value for REA, paper value for RS).
REPORTS = [
    ("C10 valid", "c10_valid200_mean", 0.15, 91.19, 90.93),
    ("C10 test", "c10_test200_v11", 0.15, 93.92, 93.70),
    ("C100 valid", "c100_valid200_mean", 0.3, 71.81, 70.93),
    ("IN16 valid", "in16_valid200_mean", 0.3, 45.15, 44.45),
]


def load(path):
    """Returns {op-digit tuple: (valid12, cost, [report metrics])}."""
    table = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            ops = tuple(int(d) for d in row["op_digits"])
            cost = float(row["c10_train_time200"]) * FIDELITY / 200.0
            metrics = [float(row[column]) for _, column, _, _, _ in REPORTS]
            table[ops] = (float(row["c10_valid12"]), cost, metrics)
    if len(table) != NUM_OPS**NUM_EDGES:
        sys.exit(f"{path}: expected {NUM_OPS**NUM_EDGES} cells, read {len(table)}")
    return table


def sample(rng):
    return tuple(rng.randrange(NUM_OPS) for _ in range(NUM_EDGES))


def mutate(arch, rng):
    child = list(arch)
    edge = rng.randrange(NUM_EDGES)
    child[edge] = (arch[edge] + rng.randrange(1, NUM_OPS)) % NUM_OPS
    return tuple(child)


def random_search(table, rng):
    spent, queries, best = 0.0, 0, None
    while spent < BUDGET_SECONDS:
        arch = sample(rng)
        valid, cost, _ = table[arch]
        if spent + cost > BUDGET_SECONDS:
            break
        spent += cost
        queries += 1
        if best is None or valid > best[0]:
            best = (valid, arch)
    return best[1], queries


def regularized_evolution(table, rng, population_size=10, tournament=3):
    spent, queries, best = 0.0, 0, None
    population = deque()
    while spent < BUDGET_SECONDS:
        if queries < population_size:
            arch = sample(rng)
        else:
            parent = None
            for _ in range(tournament):
                candidate = population[rng.randrange(len(population))]
                if parent is None or candidate[1] > parent[1]:
                    parent = candidate
            arch = mutate(parent[0], rng)
        valid, cost, _ = table[arch]
        if spent + cost > BUDGET_SECONDS:
            break
        spent += cost
        queries += 1
        population.append((arch, valid))
        if len(population) > population_size:
            population.popleft()
        if best is None or valid > best[0]:
            best = (valid, arch)
    return best[1], queries


OPTIMIZERS = {"RS": random_search, "REA": regularized_evolution}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="path of nb201_merged.csv")
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    table = load(args.data)
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    means, queries = {}, 0
    for o, (label, search) in enumerate(OPTIMIZERS.items()):
        totals = [0.0] * len(REPORTS)
        for trial in range(args.trials):
            rng = random.Random(args.seed * 1_000_003 + o * 100_003 + trial)
            arch, n = search(table, rng)
            queries += n
            for m, value in enumerate(table[arch][2]):
                totals[m] += value
        means[label] = {r[0]: t / args.trials for r, t in zip(REPORTS, totals)}
    search_seconds = time.perf_counter() - started

    within = all(
        abs(means[label][name] - paper) <= tolerance
        for name, _, tolerance, rea, rs in REPORTS
        for label, paper in (("REA", rea), ("RS", rs))
    )
    json.dump(
        {
            "load_seconds": load_seconds,
            "search_seconds": search_seconds,
            "trials": args.trials,
            "queries": queries,
            "means": means,
            "within_tolerance": within,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
