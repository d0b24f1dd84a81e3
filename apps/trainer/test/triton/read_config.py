"""Parses a Triton config.pbtxt and a KServe manifest with independent parsers, printing both as JSON.

Usage: read_config.py GENERATED_DIR CONFIG_PBTXT MANIFEST_YAML
GENERATED_DIR holds model_config_pb2.py, compiled by protoc from model_config.proto beside this file.
"""
import json
import sys

import yaml
from google.protobuf import json_format, text_format

sys.path.insert(0, sys.argv[1])
import model_config_pb2  # noqa: E402  (generated into sys.argv[1] at test time)

with open(sys.argv[2], encoding="utf-8") as f:
    config = text_format.Parse(f.read(), model_config_pb2.ModelConfig())
with open(sys.argv[3], encoding="utf-8") as f:
    manifest = yaml.safe_load(f)

json.dump(
    {
        "config": json_format.MessageToDict(config, preserving_proto_field_name=True),
        "manifest": manifest,
    },
    sys.stdout,
)
