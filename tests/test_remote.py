"""Inputs at an address: S3 (a local S3 server, moto's, started by the tests) through pyarrow's file
system, and HTTP (the standard library's server) through urllib: the same report as the local file."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import socket
import threading

import pytest

from .conftest import SAMPLE_DATA, run

BINARY = SAMPLE_DATA / "binary_probabilities.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    """A bucket on the local S3 server, found by the standard AWS variables; ``put(key, path)``."""
    import pyarrow.fs as pafs

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    bucket = f"b{tmp_path.name.lower().replace('_', '-')[-40:]}"
    store, _ = pafs.FileSystem.from_uri(f"s3://{bucket}?allow_bucket_creation=true")
    store.create_dir(bucket)

    def put(key: str, path) -> str:
        with store.open_output_stream(f"{bucket}/{key}") as out:
            out.write(path.read_bytes())
        return f"s3://{bucket}/{key}"

    return put


def losses(result):
    assert result.code == 0, result.stderr
    return [(r["pair"], r["n"], r["losses"]) for r in result.json["results"]]


def test_a_csv_on_s3_gives_the_local_report(s3):
    address = s3("preds/binary.csv", BINARY)
    result = run("eval", address)
    assert losses(result) == losses(run("eval", BINARY))
    assert result.json["input"]["predictions"] == address
    assert result.json["signature"] == run("eval", BINARY).json["signature"]


def test_parquet_shards_and_labels_on_s3(s3, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(BINARY)
    for i, (start, stop) in enumerate([(0, 60), (60, 120), (120, table.num_rows)]):
        pq.write_table(table.slice(start, stop - start), tmp_path / f"part-{i}.parquet")
        s3(f"shards/part-{i}.parquet", tmp_path / f"part-{i}.parquet")
    s3("shards/notes.txt", BINARY)  # (another file in the folder: the glob leaves it out)
    bucket = s3("x", BINARY).rsplit("/", 1)[0]
    whole = losses(run("eval", BINARY))
    sharded = losses(run("eval", f"{bucket}/shards/part-*.parquet"))
    assert [(p, n) for p, n, _ in sharded] == [(p, n) for p, n, _ in whole]
    pytest.importorskip("dask")
    on_dask = losses(run("eval", f"{bucket}/shards/part-*.parquet", "--engine", "dask"))  # (each task reads S3)
    for (_, _, a), (_, _, b), (_, _, c) in zip(sharded, whole, on_dask):
        assert a == pytest.approx(b, rel=1e-12) and c == pytest.approx(b, rel=1e-12)
    preds = tmp_path / "preds.csv"
    labels = tmp_path / "labels.csv"
    preds.write_text("id,y_pred\n2,0.3\n1,0.8\n3,0.6\n")
    labels.write_text("id,y_true\n1,1\n2,0\n3,1\n")
    joined = run("eval", s3("p.csv", preds), "--labels", s3("l.csv", labels))
    assert losses(joined) == losses(run("eval", preds, "--labels", labels))


def test_what_is_not_on_s3_is_named_and_credentials_never_printed(s3):
    bucket = s3("x.csv", BINARY).rsplit("/", 1)[0]
    missing = run("eval", f"{bucket}/nothing.csv")
    assert missing.code == 3 and missing.stderr == f"error: {bucket}/nothing.csv: no such file\n"
    assert run("eval", f"{bucket}/nothing-*.csv").stderr.endswith("no file matches this pattern\n")
    inline = run("eval", "s3://AKIDEXAMPLE:very-secret@bucket/x.csv")
    assert inline.code == 2 and "very-secret" not in inline.stderr and "AKIDEXAMPLE" not in inline.stderr
    assert "testing-secret" not in run("eval", f"{bucket}/nothing.csv").stderr


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A folder served over HTTP by the standard library's server: (folder, its address)."""
    folder = tmp_path_factory.mktemp("web")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # (quiet)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_files_over_http_give_the_local_report(web, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder, address = web
    shutil.copy(BINARY, folder / "p.csv")
    (folder / "p.csv.gz").write_bytes(gzip.compress(BINARY.read_bytes()))
    pq.write_table(pacsv.read_csv(BINARY), folder / "p.parquet")
    expected = losses(run("eval", BINARY))
    for name in ("p.csv", "p.csv.gz", "p.parquet"):
        assert losses(run("eval", f"{address}/{name}")) == expected, name
    assert losses(run("eval", f"{address}/p.csv?version=2")) == expected  # (a query is no glob)


def test_http_errors_are_data_errors_and_http_cannot_be_globbed(web):
    _, address = web
    missing = run("eval", f"{address}/missing.csv")
    assert missing.code == 3 and "missing.csv: cannot be read (HTTP 404 File not found)" in missing.stderr
    assert run("eval", f"{address}/*.csv").code == 3  # (an HTTP address is never a glob: no such file)
    closed = run("eval", f"http://127.0.0.1:{free_port()}/p.csv")
    assert closed.code == 3 and "cannot be read" in closed.stderr
