"""Self-check for one hand-written part file: python3 data/parts/check_part.py FILE.csv"""
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert rows and set(rows[0]) == {"text", "label", "domain"}, "columns must be text,label,domain"
labels = collections.Counter(r["label"] for r in rows)
print("rows", len(rows), dict(labels), dict(collections.Counter(r["domain"] for r in rows)))
bad = [r for r in rows if r["label"] not in {"assertion", "denial", "euphemism"}]
print("unknown labels:", bad[:3])
texts = collections.Counter(r["text"].strip().lower() for r in rows)
print("duplicates:", [t for t, n in texts.items() if n > 1][:5])
lens = [len(r["text"].split()) for r in rows]
print("words min/max/mean", min(lens), max(lens), round(sum(lens) / len(lens), 1),
      "| <=8 words:", sum(l <= 8 for l in lens), "| >=35 words:", sum(l >= 35 for l in lens))
print("out of 4..60 words:", [r["text"] for r, l in zip(rows, lens) if not 4 <= l <= 60][:3])
op = collections.Counter(" ".join(r["text"].lower().split()[:4]) for r in rows)
print("most common 4-word openings (keep each <= 3):", op.most_common(5))
op2 = collections.Counter(" ".join(r["text"].lower().split()[:2]) for r in rows)
print("most common 2-word openings:", op2.most_common(8))
for lab in labels:
    print(f"{lab}: {labels[lab] / len(rows):.0%}")
deny = sum(1 for r in rows if r["label"] == "denial" and "deni" not in r["text"].lower() and "deny" not in r["text"].lower())
print("denials without deny/denied/denies:", deny, "of", labels["denial"])
