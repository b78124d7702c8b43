#!/usr/bin/python3
# Generates the metric golden fixtures of tests/eval from scikit-learn / SciPy / NumPy (Debian's python3-sklearn).
# Run with Debian's /usr/bin/python3 from this folder: /usr/bin/python3 make_golden.py
# Outputs: roc_golden.txt (sklearn roc_curve/auc and insightface's nearest-FAR pick) and
#          lfw_golden.txt (insightface verification.py calculate_roc / calculate_val on random embeddings).
import numpy as np
import sklearn
from scipy import interpolate
from sklearn.metrics import auc, roc_curve
from sklearn.model_selection import KFold

rng = np.random.RandomState(1234)


def fmt(x):
    return repr(float(x))


# ---- ROC / AUC / insightface TAR@FAR on scores with ties ----
with open("roc_golden.txt", "w") as out:
    out.write(f"# sklearn {sklearn.__version__}; blocks: scores, roc (drop_intermediate=False), roc_dropped, auc, tar\n")
    for case in range(3):
        n = [200, 1000, 5000][case]
        labels = rng.randint(0, 2, n)
        scores = rng.randn(n) + 1.5 * labels
        if case != 2:
            scores = np.round(scores, 1)  # many ties
        fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
        fpr_d, tpr_d, _ = roc_curve(labels, scores)
        out.write(f"case {n}\n")
        for s, l in zip(scores, labels):
            out.write(f"{fmt(s)} {int(l)}\n")
        out.write(f"roc {len(fpr)}\n")
        for a, b, t in zip(fpr, tpr, thr):
            out.write(f"{fmt(a)} {fmt(b)} {fmt(t)}\n")
        out.write(f"dropped {len(fpr_d)}\n")
        for a, b in zip(fpr_d, tpr_d):
            out.write(f"{fmt(a)} {fmt(b)}\n")
        out.write(f"auc {fmt(auc(fpr, tpr))}\n")
        targets = [1e-3, 1e-2, 5e-2, 1e-1, 0.3]
        out.write(f"tar {len(targets)}\n")
        for x in targets:
            # insightface recognition/_evaluation_/ijb/ijb_11.py (flip: "select largest tpr at same fpr")
            ffpr, ftpr = np.flipud(fpr_d), np.flipud(tpr_d)
            _, min_index = min(list(zip(abs(ffpr - x), range(len(ffpr)))))
            out.write(f"{fmt(x)} {fmt(ftpr[min_index])} {fmt(ffpr[min_index])}\n")


# ---- insightface verification.py (calculate_roc / calculate_val), computed in float64 ----
def calculate_accuracy(threshold, dist, actual_issame):
    predict_issame = np.less(dist, threshold)
    tp = np.sum(np.logical_and(predict_issame, actual_issame))
    tn = np.sum(np.logical_and(np.logical_not(predict_issame), np.logical_not(actual_issame)))
    return float(tp + tn) / dist.size


def calculate_val_far(threshold, dist, actual_issame):
    predict_issame = np.less(dist, threshold)
    true_accept = np.sum(np.logical_and(predict_issame, actual_issame))
    false_accept = np.sum(np.logical_and(predict_issame, np.logical_not(actual_issame)))
    n_same = np.sum(actual_issame)
    n_diff = np.sum(np.logical_not(actual_issame))
    return float(true_accept) / float(n_same), float(false_accept) / float(n_diff)


def lfw(dist, issame, val_far, nfolds=10):
    thresholds = np.arange(0, 4, 0.01)
    k_fold = KFold(n_splits=nfolds, shuffle=False)
    indices = np.arange(len(issame))
    acc, best = [], []
    for train_set, test_set in k_fold.split(indices):
        acc_train = np.array([calculate_accuracy(t, dist[train_set], issame[train_set]) for t in thresholds])
        b = np.argmax(acc_train)
        best.append(thresholds[b])
        acc.append(calculate_accuracy(thresholds[b], dist[test_set], issame[test_set]))
    vthr = np.arange(0, 4, 0.001)
    val, far = [], []
    for train_set, test_set in k_fold.split(indices):
        far_train = np.array([calculate_val_far(t, dist[train_set], issame[train_set])[1] for t in vthr])
        if np.max(far_train) >= val_far:
            # Modern SciPy rejects repeated x: keep the first threshold of each distinct FAR (see kfold.h).
            u, idx = np.unique(far_train, return_index=True)
            f = interpolate.interp1d(u, vthr[idx], kind="slinear")
            threshold = f(val_far)
        else:
            threshold = 0.0
        v, fa = calculate_val_far(threshold, dist[test_set], issame[test_set])
        val.append(v)
        far.append(fa)
    return np.array(acc), np.array(best), np.array(val), np.array(far)


with open("lfw_golden.txt", "w") as out:
    out.write("# insightface verification.py on random unit embeddings: pairs, then per-fold results\n")
    for n, dim, val_far in [(600, 16, 1e-3), (1234, 8, 0.05), (3000, 8, 0.01)]:
        issame = np.array([(i // 30) % 2 == 0 for i in range(n)])
        e1 = rng.randn(n, dim)
        e2 = e1 * (issame[:, None] * 1.0) + rng.randn(n, dim) * 1.3
        e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
        e2 /= np.linalg.norm(e2, axis=1, keepdims=True)
        dist = np.sum(np.square(e1 - e2), 1)
        acc, best, val, far = lfw(dist, issame, val_far)
        out.write(f"case {n} {fmt(val_far)}\n")
        for d, s in zip(dist, issame):
            out.write(f"{fmt(d)} {int(s)}\n")
        for a, b, v, f in zip(acc, best, val, far):
            out.write(f"{fmt(a)} {fmt(b)} {fmt(v)} {fmt(f)}\n")
        out.write(f"mean {fmt(np.mean(acc))} {fmt(np.std(acc))} {fmt(np.mean(val))} {fmt(np.std(val))} {fmt(np.mean(far))}\n")
