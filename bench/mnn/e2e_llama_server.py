"""Time llama.cpp's llama-server computing per-token hidden states of texts.

Starts BINARY on a free 127.0.0.1 port with `--embedding --pooling none`
and a 2048-token context and batch, waits for /health (at most 60 s), posts
one warm-up text, then posts every text of the JSONL file RUNS times. Each
text is sent as `{"content": text}` to /embedding, which tokenises it
without BOS for SmolLM2 and returns one unnormalised row per token.

Prints one JSON line: texts, tokens (rows returned), threads, the median
and minimum wall seconds of one pass over all texts, and tokens/s at the
median. The wall time is measured by this client, so it includes HTTP and
JSON encoding of N x d floats: llama.cpp's own prompt speed is higher.

Usage: python e2e_llama_server.py BINARY GGUF JSONL FIELD [--limit N]
                                  [--threads T] [--runs R]
Only the Python standard library is needed.
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_embedding(url, text):
    body = json.dumps({"content": text}).encode()
    request = urllib.request.Request(url + "/embedding", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as reply:
        return len(json.load(reply)[0]["embedding"])


def wait_healthy(url, server, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"llama-server exited during startup: {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"llama-server not healthy after {timeout_s} s")


def read_texts(path, field, limit):
    texts = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                texts.append(json.loads(line)[field])
            if len(texts) == limit:
                break
    return texts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("gguf")
    parser.add_argument("jsonl")
    parser.add_argument("field")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    texts = read_texts(args.jsonl, args.field, args.limit)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [args.binary, "-m", args.gguf, "--embedding", "--pooling", "none",
               "--host", "127.0.0.1", "--port", str(port), "-t", str(args.threads),
               "-tb", str(args.threads), "-c", "2048", "-b", "2048", "-ub", "2048",
               "-np", "1", "--no-webui"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(url, server)
        post_embedding(url, texts[0])
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            tokens = sum(post_embedding(url, text) for text in texts)
            times.append(time.perf_counter() - start)
    finally:
        server.kill()
        server.wait()

    median_s = statistics.median(times)
    print(json.dumps({"impl": "llama-server", "texts": len(texts), "tokens": tokens,
                      "threads": args.threads, "runs": args.runs, "median_s": median_s,
                      "min_s": min(times), "tokens_per_s": tokens / median_s}))


if __name__ == "__main__":
    sys.exit(main())
