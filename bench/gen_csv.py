"""Writes a survey-like CSV of about MIB mebibytes: 20 columns of ids, dates,
numbers, categories, free text and emails.  Usage: gen_csv.py PATH MIB"""
import random, sys, datetime
path, mib = sys.argv[1], int(sys.argv[2])
random.seed(7)
cats = ["north", "south", "east", "west", "central"]
words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
rows = []
for i in range(40000):
    d = datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 1500)
    rows.append(",".join([
        str(i), str(random.randint(1, 10**9)), d.isoformat(), f"{random.random()*1000:.3f}",
        random.choice(cats), f"user{i}@example.org", " ".join(random.sample(words, 5)),
        str(random.randint(0, 99)), f"{random.gauss(50, 10):.2f}", random.choice(cats).upper(),
        str(i % 7), f"{random.random():.6f}", d.strftime("%d/%m/%Y"), "true" if i % 2 else "false",
        f"ref-{random.randint(0, 99999):05d}", str(random.randint(-500, 500)), random.choice(words),
        f"{random.random()*1e6:.1f}", str(i * 3), random.choice(words).title(),
    ]))
block = ("\n".join(rows) + "\n").encode()
header = b",".join(b"c%d" % i for i in range(20)) + b"\n"
target = mib << 20
with open(path, "wb") as f:
    f.write(header)
    written = len(header)
    while written < target:
        part = block[: target - written]
        # Whole rows only: the file ends with a complete line.
        part = part[: part.rfind(b"\n") + 1] if len(part) < len(block) else part
        if not part:
            break
        f.write(part)
        written += len(part)
