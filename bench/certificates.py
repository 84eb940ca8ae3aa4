"""Benchmark: rendering certificate PDFs, Chinese against Latin text, and a batch of 500.

Prints one JSON line last: chinese_ms and latin_ms (median time to render one certificate
from the same template, filled with Chinese or with Latin text, measured alternately in the
same run), ratio (chinese / latin, target <= 2), pdf_bytes (the Chinese certificate, target
<= 100 KB), pdf_bytes_max (the largest of every PDF rendered here, rare characters
included), batch_500_s: rendering 500 different certificates one after another in this
process (target: issuing 500 within 30 s), and batch_500_parallel_s: the same 500 through
render_certificates, one process per CPU (workers' start-up included).

The batch measures rendering, the dominant cost of issuing; the issuing service's own
database work (gates, serials, snapshots) is not included yet.
"""

import json
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from partyschool.certificates.render import (  # noqa: E402
    CertificateContext,
    render_certificate,
    render_certificates,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
BASE_URL = "https://dangxiao.example.edu.cn/verify/"

CHINESE = CertificateContext(
    title="结业证书",
    body="{name}同志于{starts_on}至{ends_on}参加{class_title}学习，"
    "完成规定学时{hours}学时，考核合格，准予结业。",
    seal_text="中共示范大学第一学区分党校",
    signer_title="分党校校长",
    signer_name="王建国",
    name="欧阳𠮷䶮",
    class_title="第35期入党积极分子培训班",
    party_school="第一学区分党校",
    hours="24",
    grade="86.5",
    starts_on=date(2025, 3, 1),
    ends_on=date(2025, 3, 31),
    issued_on=date(2025, 4, 2),
    serial="2025-D1-035-0001",
    verify_url=BASE_URL + "2025-D1-035-0001?code=Xk3v9QpL2mN8rT5wY7zA1bC4",
)
# The same template (pdf.html) and layout; every text that comes from data is Latin.
LATIN = replace(
    CHINESE,
    title="Certificate of Completion",
    body="{name} attended the {class_title} from {starts_on} to {ends_on}, "
    "completed the required {hours} study hours and passed the assessment.",
    seal_text="PARTY SCHOOL OF EXAMPLE UNIVERSITY",
    signer_title="Principal",
    signer_name="Wang Jianguo",
    name="Alexandra Hamilton",
    class_title="Activist Training Class No. 35",
    party_school="First District Branch School",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬𠮷䶮"


def timed(function) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def batch_context(n: int) -> CertificateContext:
    """The n-th certificate of a batch: its own name, serial and QR code."""
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)] + GIVEN[(n * 7) % len(GIVEN)]
    serial = f"2025-D1-035-{n + 1:04d}"
    return replace(CHINESE, name=name, serial=serial, verify_url=f"{BASE_URL}{serial}?code=c{n}")


def main() -> None:
    sizes = []
    for _ in range(3):  # warm up: fonts loaded, caches filled
        sizes += [len(render_certificate(CHINESE)), len(render_certificate(LATIN))]
    chinese, latin = [], []
    for _ in range(ROUNDS):  # alternate, so both see the same machine
        chinese.append(timed(lambda: sizes.append(len(render_certificate(CHINESE)))))
        latin.append(timed(lambda: sizes.append(len(render_certificate(LATIN)))))
    chinese_ms, latin_ms = statistics.median(chinese), statistics.median(latin)
    pdf_bytes = len(render_certificate(CHINESE))
    print(f"one certificate: Chinese {chinese_ms:.1f} ms, Latin {latin_ms:.1f} ms", flush=True)

    started = time.perf_counter()
    for n in range(BATCH):
        sizes.append(len(render_certificate(batch_context(n))))
    batch_s = time.perf_counter() - started
    print(f"{BATCH} certificates rendered in {batch_s:.1f} s", flush=True)

    started = time.perf_counter()
    sizes += map(len, render_certificates([batch_context(n) for n in range(BATCH)]))
    parallel_s = time.perf_counter() - started
    print(f"{BATCH} certificates rendered in parallel in {parallel_s:.1f} s", flush=True)

    print(
        json.dumps(
            {
                "chinese_ms": round(chinese_ms, 1),
                "latin_ms": round(latin_ms, 1),
                "ratio": round(chinese_ms / latin_ms, 2),
                "pdf_bytes": pdf_bytes,
                "pdf_bytes_max": max(sizes),
                f"batch_{BATCH}_s": round(batch_s, 1),
                f"batch_{BATCH}_parallel_s": round(parallel_s, 1),
                "batch_scope": "rendering only (issuing's database work not included yet)",
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
