"""Writes a survey-like CSV of about MIB mebibytes: 20 columns of ids, dates,
numbers, categories, free text and emails.  Usage: gen_csv.py PATH MIB

Like real data, ids, emails and references are unique over the whole file,
and the random measurements come from a pool of 400,000 rows, far longer
than a row group, so no writer gets a repetition real data would not have.
"""
import random, sys, datetime
path, mib = sys.argv[1], int(sys.argv[2])
random.seed(7)
cats = ["north", "south", "east", "west", "central"]
words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
POOL = 400_000
pool = []
for i in range(POOL):
    d = datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 1500)
    # {0}: the row's id, filled in per row.
    pool.append(",".join([
        "{0}", str(random.randint(1, 10**9)), d.isoformat(), f"{random.random()*1000:.3f}",
        random.choice(cats), "user{0}@example.org", " ".join(random.sample(words, 5)),
        str(random.randint(0, 99)), f"{random.gauss(50, 10):.2f}", random.choice(cats).upper(),
        str(i % 7), f"{random.random():.6f}", d.strftime("%d/%m/%Y"), "true" if i % 2 else "false",
        "ref-{0:08d}", str(random.randint(-500, 500)), random.choice(words),
        f"{random.random()*1e6:.1f}", "{1}", random.choice(words).title(),
    ]) + "\n")
header = ",".join(f"c{i}" for i in range(20)) + "\n"
target = mib << 20
with open(path, "w", encoding="ascii", newline="") as f:
    f.write(header)
    written = len(header)
    row = 0
    while True:
        lines = []
        for template in pool[row % POOL:] + pool[: row % POOL]:
            line = template.format(row, row * 3)
            if written + len(line) > target:
                break
            lines.append(line)
            written += len(line)
            row += 1
        f.write("".join(lines))
        if len(lines) < POOL:
            break
