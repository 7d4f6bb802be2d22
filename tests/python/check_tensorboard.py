"""TensorBoard's own reader against a run folder's event file: every scalar of metrics.jsonl with
its step, value (as float32) and wall time, every sample of samples.jsonl as text, and the
experiment's settings through the HParams plugin's records in the same folder as the scalars.

usage: check_tensorboard.py RUNDIR KEY=VALUE...   (hparams the run must show)"""

import json
import struct
import sys
from datetime import datetime, timezone
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def as_float32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def tag(name, model, repeat):
    return f"{name}/{model}" + (f"/repeat-{repeat}" if repeat else "")


def main(run, expected_hparams):
    acc = EventAccumulator(str(run), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    started = json.loads((run / "run.json").read_text())["started"]
    start = datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()

    expected = {}
    for line in (run / "metrics.jsonl").read_text().splitlines():
        p = json.loads(line)
        expected.setdefault(tag(p["name"], p["model"], p.get("repeat", 0)), []).append(p)
    assert set(acc.Tags()["scalars"]) == set(expected), (sorted(acc.Tags()["scalars"]), sorted(expected))
    scalars = 0
    for name, points in expected.items():
        events = acc.Scalars(name)
        assert [e.step for e in events] == [p["step"] for p in points], name
        for e, p in zip(events, points):
            assert e.value == as_float32(p["value"]), (name, e.value, p["value"])
            assert abs(e.wall_time - (start + p["wall_s"])) < 1e-3, (name, e.wall_time, start, p["wall_s"])
            scalars += 1

    samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    for s in samples:
        texts = [t.tensor_proto.string_val[0].decode() for t in acc.Tensors(tag("samples", s["model"], 0))
                 if t.step == s["step"]]
        assert s["prompt"] + s["text"] in texts, (s["model"], s["step"])

    content = acc.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in content and "_hparams_/session_start_info" in content, list(content)
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    names = {h.name for h in experiment.hparam_infos}
    metrics = {m.name.tag for m in experiment.metric_infos}
    assert "val/loss/teacher" in metrics, metrics
    session = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = session.session_start_info.hparams
    for key, value in expected_hparams.items():
        assert key in names, key
        shown = hparams[key]
        kind = shown.WhichOneof("kind")
        got = shown.number_value if kind == "number_value" else shown.string_value
        want = float(value) if kind == "number_value" else value
        assert got == want, (key, got, want)
    end = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"])
    assert end.session_end_info.status == 1, end  # STATUS_SUCCESS
    print(f"ok: {scalars} scalars in {len(expected)} tags, {len(samples)} samples, {len(names)} hparams, "
          f"{len(metrics)} hparams metrics")


if __name__ == "__main__":
    main(Path(sys.argv[1]), dict(arg.split("=", 1) for arg in sys.argv[2:]))
