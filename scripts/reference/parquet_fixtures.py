#!/usr/bin/env python3
"""Parquet fixtures written by pyarrow through pandas, for the `parquet` feature tests of
inherit-core and inherit-data (see scripts/reference/README.md):

* crates/inherit-data/tests/fixtures/bios_labhc.parquet: the four records of
  bios_labhc.jsonl in LabHC/bias_in_bios's Parquet schema (hard_text string, profession
  and gender int64), plus pandas' index column `__index_level_0__` (a non-default index)
  and a categorical (dictionary-encoded) `split` column;
* crates/inherit-core/tests/fixtures/pandas_table.parquet: a Hugging Face-style table
  (sentence, int label, an optional string group with a missing value, a float, a bool,
  a categorical) with pandas metadata.

Run with pandas==3.1.1 and pyarrow (26.0.1 made the committed files):
    python scripts/reference/parquet_fixtures.py
"""

import os

import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.join(here, "..", "..")

bios = pd.DataFrame(
    {
        "hard_text": [
            "She designs libraries and bridges.",
            "He fixes teeth in a small practice.",
            "She works night shifts on the cardiac ward.",
            "He writes compilers for embedded systems.",
        ],
        "profession": pd.array([1, 6, 13, 24], dtype="int64"),
        "gender": pd.array([1, 0, 1, 0], dtype="int64"),
        "split": pd.Categorical(["train", "train", "test", "train"]),
    },
    index=[10, 11, 12, 13],
)
bios.to_parquet(
    os.path.join(repo, "crates/inherit-data/tests/fixtures/bios_labhc.parquet"),
    engine="pyarrow",
    compression="snappy",
)

table = pd.DataFrame(
    {
        "sentence": ["a gripping, warm film", "tedious and overlong", "the cast is superb"],
        "label": pd.array([1, 0, 1], dtype="int64"),
        "gender": ["female", None, "male"],
        "score": [0.75, -1.5, 2.0],
        "flag": [True, False, True],
        "source": pd.Categorical(["sst2", "sst2", "imdb"]),
    },
    index=pd.Index([7, 8, 9], name="row"),
)
table.to_parquet(
    os.path.join(repo, "crates/inherit-core/tests/fixtures/pandas_table.parquet"),
    engine="pyarrow",
    compression="snappy",
)
print("written")
