"""TF-IDF + logistic regression, the classical peer (Debian's python3-sklearn).

Reads one JSON object from stdin: {"train": [[text, tokens, label], ...], "test": [...]} where
tokens is the text as the project's tokenizer splits it, joined by spaces (so CJK characters
are words). Features: character 1-3-grams of the raw text and word 1-2-grams of the tokens,
TF-IDF with sublinear tf. The regularisation C is chosen by 3-fold cross-validation on the
training rows only (never on the test rows). Prints one JSON line.
"""
import json
import sys
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV


def main():
    job = json.load(sys.stdin)
    tr, te = job["train"], job["test"]
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+", lowercase=True)
    t0 = time.time()
    x_tr = hstack([chars.fit_transform([r[0] for r in tr]), words.fit_transform([r[1] for r in tr])]).tocsr()
    y_tr = [r[2] for r in tr]
    grid = GridSearchCV(LogisticRegression(max_iter=3000), {"C": [1.0, 10.0, 100.0]}, cv=3, n_jobs=1)
    grid.fit(x_tr, y_tr)
    fit_s = time.time() - t0
    t1 = time.time()
    x_te = hstack([chars.transform([r[0] for r in te]), words.transform([r[1] for r in te])]).tocsr()
    pred = grid.predict(x_te)
    pred_s = time.time() - t1
    y_te = [r[2] for r in te]
    print(json.dumps({
        "accuracy": accuracy_score(y_te, pred),
        "macro_f1": f1_score(y_te, pred, average="macro"),
        "C": grid.best_params_["C"],
        "fit_seconds": fit_s,
        "items_per_s": len(te) / max(pred_s, 1e-9),
        "train_rows": len(tr),
    }))


if __name__ == "__main__":
    main()
