"""Runs a Bulwark single-scenario model file in pyfair and times the simulation.

    python pyfair_run.py MODEL.json TRIALS

Prints one line: `seconds=… cpu_seconds=… mean=… tef_sd=… tef_sd_vose=…` (CPU time of the
process over the same span, `time.process_time`).

pyfair's BetaPERT does not take the mode as Vose does. It builds Beta(α, β) by the method of
moments from mean = (low + γ·mode + high)/(γ + 2) and standard deviation = (high − low)/(γ + 2)
(γ = 4 by default), which gives a different Beta from Vose's α = 1 + 4·(mode − min)/(max − min),
β = 1 + 4·(max − mode)/(max − min), even for symmetric inputs: Beta(4, 4) against Beta(3, 3).
Since a Beta is fixed by its mean and standard deviation, each Vose PERT is translated exactly:
γ' = 1/sd − 2 and mode' = (mean·(γ' + 2) − 1)/γ' on the unit interval (mean and sd of Vose's
Beta), so pyfair samples the very same distribution. `tef_sd` against `tef_sd_vose` shows it.

pyfair multiplies per trial: Risk = TEF × Vulnerability × (Primary + SLEF × SLEM), one loss
magnitude per trial. Bulwark draws a Poisson number of loss events and a loss for each. The two
agree in expectation (E[TEF]·E[V]·(E[PL] + p·E[SL])), so the means are compared, not percentiles.
"""

import json
import math
import sys
import time

import pyfair


def vose_to_pyfair(e):
    """pyfair keyword arguments for a Bulwark estimate (constant or Vose PERT)."""
    if "constant" in e:
        return {"constant": e["constant"]}
    low, mode, high = e["min"], e["mode"], e["max"]
    span = high - low
    a = 1 + 4 * (mode - low) / span
    b = 1 + 4 * (high - mode) / span
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    gamma = 1 / sd - 2
    unit_mode = (mean * (gamma + 2) - 1) / gamma
    return {"low": low, "mode": low + span * unit_mode, "high": high, "gamma": gamma}


def vose_sd(e):
    low, mode, high = e["min"], e["mode"], e["max"]
    mean = (low + 4 * mode + high) / 6
    return math.sqrt((mean - low) * (high - mean) / 7)


def main():
    model = json.load(open(sys.argv[1]))
    trials = int(sys.argv[2])
    s = model["scenarios"][0]
    cpu_start = time.process_time()
    start = time.perf_counter()
    m = pyfair.FairModel(name="bench", n_simulations=trials, random_seed=1)
    m.input_data("Threat Event Frequency", **vose_to_pyfair(s["tef"]))
    m.input_data("Vulnerability", **vose_to_pyfair(s["vulnerability"]))
    m.input_data("Primary Loss", **vose_to_pyfair(s["primary_loss"]))
    m.input_data("Secondary Loss Event Frequency", **vose_to_pyfair(s["secondary"]["probability"]))
    m.input_data("Secondary Loss Event Magnitude", **vose_to_pyfair(s["secondary"]["loss"]))
    m.calculate_all()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    results = m.export_results()
    print(
        f"seconds={seconds:.6f} cpu_seconds={cpu_seconds:.6f} mean={results['Risk'].mean():.2f} "
        f"tef_sd={results['Threat Event Frequency'].std():.4f} tef_sd_vose={vose_sd(s['tef']):.4f}"
    )


if __name__ == "__main__":
    main()
