"""TF-IDF overlap between all *.test.csv and all *.train.csv parts (limit 0.8; aim below 0.6).
Run: /work/main/.venv/bin/python /work/main/data/parts/check_overlap.py"""
import csv, glob
from sklearn.feature_extraction.text import TfidfVectorizer
def rows(pattern):
    out = []
    for f in sorted(glob.glob(pattern)):
        out += [(f.split("/")[-1], r["text"]) for r in csv.DictReader(open(f, encoding="utf-8"))]
    return out
train, test = rows("/work/main/data/parts/*.train.csv"), rows("/work/main/data/parts/*.test.csv")
v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([t for _, t in train + test])
sim = (v.transform([t for _, t in test]) @ v.transform([t for _, t in train]).T).toarray()
bad = 0
for i, row in enumerate(sim):
    j = row.argmax()
    if row[j] >= 0.6:
        bad += 1
        print(f"{row[j]:.2f}  TEST {test[i][0]}: {test[i][1]}\n      TRAIN {train[j][0]}: {train[j][1]}")
print(bad, "test rows at or above 0.6")
