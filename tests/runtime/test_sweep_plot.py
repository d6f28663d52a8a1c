"""`statc plot`: line plots, heatmaps and learning curves from a sweep directory.

The sweep directory is written by hand (results.csv and one trajectory.csv), so
these tests need no solver; the figures are read back with matplotlib and the
plotted data are checked against the table.
"""
from __future__ import annotations

import csv

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from statc.cli import main  # noqa: E402
from statc.runtime.sweep import plot  # noqa: E402


@pytest.fixture
def sweep_dir(tmp_path):
    rows = [{"eta": e, "sigma": s, "eps_g": e * (1 + s), "status": "ok", "error": "",
             "seconds": 0.1, "key": f"k{i}{j}"}
            for i, e in enumerate([0.5, 1.0, 1.5]) for j, s in enumerate([0.0, 0.5])]
    rows.append({"eta": 2.0, "sigma": 0.0, "eps_g": "", "status": "bad input", "error": "boom",
                 "seconds": 0.0, "key": "bad"})
    with open(tmp_path / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    d = tmp_path / "points" / "k00"
    d.mkdir(parents=True)
    (d / "trajectory.csv").write_text("t,eps_g\n0,1\n1,0.5\n2,0.25\n")
    return tmp_path


def test_line_plot_draws_each_hue(sweep_dir):
    rows = plot.read_results(sweep_dir)
    fig_path = sweep_dir / "f.png"
    plot.line_plot(rows, "eta", "eps_g", "sigma", fig_path)
    assert plt.imread(fig_path).ndim == 3
    assert main(["plot", str(sweep_dir), "--x", "eta", "--y", "eps_g", "--hue", "sigma",
                 "-o", str(sweep_dir / "f.pdf")]) == 0
    assert (sweep_dir / "f.pdf").read_bytes().startswith(b"%PDF")


def test_heatmap_places_values_on_the_grid(sweep_dir, monkeypatch):
    seen = {}
    orig = plt.Axes.pcolormesh

    def spy(self, X, Y, Z, **kw):
        seen.setdefault("Z", Z)          # the first call; the colour bar draws one too
        return orig(self, X, Y, Z, **kw)
    monkeypatch.setattr(plt.Axes, "pcolormesh", spy)
    assert main(["plot", str(sweep_dir), "--heatmap", "--x", "eta", "--y", "sigma", "--z", "eps_g"]) == 0
    Z = seen["Z"]
    assert Z.shape == (2, 4)                       # sigma × eta (eta 2.0 failed: blank)
    assert Z[1, 2] == pytest.approx(1.5 * 1.5) and Z[0, 0] == pytest.approx(0.5)
    assert Z.mask[0, 3] and (sweep_dir / "eps_g_map.png").is_file()


def test_curves(sweep_dir):
    assert main(["plot", str(sweep_dir), "--curves", "eps_g"]) == 0
    assert (sweep_dir / "eps_g_curves.png").is_file()


@pytest.mark.parametrize("argv,needle", [
    (["--x", "eta", "--y", "eps"], "did you mean `eps_g`"),
    (["--x", "eta"], "needs --x and --y"),
    (["--heatmap", "--x", "eta", "--y", "sigma"], "--heatmap needs"),
    (["--x", "eta", "--y", "eps_g", "-o", "f.svg"], ".png or .pdf"),
])
def test_plot_errors(sweep_dir, capsys, argv, needle):
    assert main(["plot", str(sweep_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_not_a_sweep(tmp_path, capsys):
    assert main(["plot", str(tmp_path), "--x", "a", "--y", "b"]) == 2
    assert "no results.csv" in capsys.readouterr().err
