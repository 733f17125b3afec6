#!/usr/bin/env python3
"""Generate synthetic LocoHub-standard phase-indexed parquet files for locolens.

The files follow the LocoHub "phase" layout: one row per phase sample, exactly
150 samples per gait cycle, cycles of one subject x task stored contiguously
(phase ascending inside a cycle), one column per variable named
``<joint>_<motion>_<measurement>_<side>_<unit>``.

Signals are physiologically shaped: each joint angle / moment of each task is a
smooth periodic curve (a few Fourier harmonics fitted to textbook key points),
with per-subject offsets and scales, per-cycle amplitude, time warp, phase
jitter and smooth random harmonics.  Joint velocities are the analytic phase
derivative of the angles times the stride rate, so they are consistent with the
angles.  Ground reaction forces are zero in swing.  Contralateral signals are
the ipsilateral ones shifted by half a cycle (75 samples).  A few outlier
cycles and a few runs of missing samples are injected; where they are is
recorded in the parquet key-value metadata (``locolens.injected``), next to the
generator parameters (``locolens.generator``).

Only numpy and pyarrow are needed.  Examples::

    python scripts/generate_dataset.py --preset demo --out data/
    python scripts/generate_dataset.py --preset bench --out data/ [--target-mb 500]
    python scripts/generate_dataset.py --preset fixtures --out data/fixtures
    python scripts/generate_dataset.py --out x.parquet --subjects 3 --cycles 5,10 \
        --tasks level_walking,run --dtype float32 --compression zstd

From Python (e.g. pytest)::

    import generate_dataset as g
    g.generate("x.parquet", subjects=2, cycles=4, dtype="float32")
    g.write_fixtures("fixtures/")
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

GENERATOR_NAME = "locolens.generate_dataset"
GENERATOR_VERSION = 1
META_KEY = "locolens.generator"
INJECTED_KEY = "locolens.injected"

POINTS = 150
PHASE = np.linspace(0.0, 100.0, POINTS, endpoint=False)  # i * 100 / 150
METADATA_COLUMNS = ["subject", "subject_metadata", "task", "task_id", "task_info", "step"]
STRING_COLUMNS = ["subject", "subject_metadata", "task", "task_id", "task_info"]

# ----------------------------------------------------------------------------
# Variables
# ----------------------------------------------------------------------------

SIDES = ("ipsi", "contra")


def _pairs(fmt: str) -> List[str]:
    return [fmt.format(side=s) for s in SIDES]


JOINT_ANGLES = (
    _pairs("hip_flexion_angle_{side}_rad")
    + _pairs("knee_flexion_angle_{side}_rad")
    + _pairs("ankle_dorsiflexion_angle_{side}_rad")
    + _pairs("hip_adduction_angle_{side}_rad")
)
SEGMENT_ANGLES = (
    ["pelvis_sagittal_angle_rad", "trunk_sagittal_angle_rad"]
    + _pairs("thigh_sagittal_angle_{side}_rad")
    + _pairs("shank_sagittal_angle_{side}_rad")
    + _pairs("foot_sagittal_angle_{side}_rad")
)
JOINT_VELOCITIES = (
    _pairs("hip_flexion_velocity_{side}_rad_s")
    + _pairs("knee_flexion_velocity_{side}_rad_s")
    + _pairs("ankle_dorsiflexion_velocity_{side}_rad_s")
)
MOMENTS = (
    _pairs("hip_flexion_moment_{side}_Nm_kg")
    + _pairs("knee_flexion_moment_{side}_Nm_kg")
    + _pairs("ankle_dorsiflexion_moment_{side}_Nm_kg")
)
GRFS = (
    _pairs("grf_vertical_{side}_BW")
    + _pairs("grf_anterior_{side}_BW")
    + _pairs("grf_lateral_{side}_BW")
)
ALL_VARIABLES: List[str] = JOINT_ANGLES + SEGMENT_ANGLES + JOINT_VELOCITIES + MOMENTS + GRFS

# Regular expressions of the naming convention (used by the tests as well).
VARIABLE_NAME_RE = re.compile(
    r"^(?:(?:hip|knee|ankle|thigh|shank|foot)_[a-z]+_(?:angle|velocity|moment|power)_(?:ipsi|contra)_"
    r"(?:rad|rad_s|rad_s2|Nm|Nm_kg|W|W_kg|deg|deg_s)"
    r"|(?:pelvis|trunk)_[a-z]+_(?:angle|velocity)_(?:rad|rad_s)"
    r"|(?:grf|cop)_(?:vertical|anterior|lateral)_(?:ipsi|contra)_(?:BW|N|m))$"
)

# ----------------------------------------------------------------------------
# Tasks
# ----------------------------------------------------------------------------

# Key points: (phase %, value); angles in degrees, moments in Nm/kg; positive =
# flexion / dorsiflexion / adduction, internal flexor / dorsiflexor moment.
_LEVEL = {
    "hip": [(0, 30), (10, 27), (20, 18), (30, 8), (40, -2), (50, -10), (55, -9), (60, -3),
            (65, 6), (70, 16), (78, 27), (86, 33), (93, 33), (100, 30)],
    "knee": [(0, 5), (7, 12), (15, 19), (22, 16), (30, 9), (40, 4), (47, 6), (55, 17), (62, 40),
             (67, 58), (72, 66), (77, 60), (85, 38), (92, 13), (97, 5), (100, 5)],
    "ankle": [(0, 0), (6, -6), (12, -2), (25, 5), (40, 9), (48, 10), (54, 6), (60, -6), (64, -15),
              (68, -13), (75, -4), (85, 1), (95, 1), (100, 0)],
    "hip_m": [(0, -0.1), (4, -0.5), (10, -0.9), (18, -0.55), (27, -0.15), (35, 0.2), (45, 0.6),
              (52, 0.85), (57, 0.65), (62, 0.3), (68, 0.1), (80, 0.0), (90, -0.15), (96, -0.25),
              (100, -0.1)],
    "knee_m": [(0, 0.05), (4, -0.15), (12, -0.55), (20, -0.35), (28, 0.0), (38, 0.25), (45, 0.2),
               (52, 0.0), (58, -0.12), (63, -0.05), (75, 0.0), (88, 0.2), (95, 0.12), (100, 0.05)],
    "ankle_m": [(0, 0.0), (3, 0.08), (7, 0.0), (15, -0.3), (25, -0.6), (35, -0.9), (45, -1.35),
                (50, -1.5), (55, -1.2), (60, -0.5), (64, -0.1), (68, 0.0), (100, 0.0)],
}
_HIP_ADD = [(0, 1), (8, 5), (18, 7), (30, 5), (45, 2), (55, -2), (63, -6), (72, -5), (85, -1),
            (100, 1)]
_INCLINE = {
    "hip": [(0, 45), (10, 42), (25, 28), (40, 10), (50, -2), (58, -2), (65, 10), (75, 30),
            (85, 45), (92, 48), (100, 45)],
    "knee": [(0, 20), (10, 25), (20, 20), (35, 10), (45, 8), (55, 18), (63, 40), (70, 60),
             (76, 66), (85, 45), (93, 25), (100, 20)],
    "ankle": [(0, 5), (10, 8), (25, 12), (40, 15), (50, 12), (58, 0), (64, -12), (70, -8),
              (80, 2), (90, 5), (100, 5)],
    "hip_m": [(0, -0.3), (5, -1.0), (12, -1.25), (22, -0.8), (32, -0.3), (42, 0.1), (52, 0.45),
              (58, 0.35), (64, 0.1), (75, 0.0), (90, -0.2), (100, -0.3)],
    "knee_m": [(0, 0.0), (8, -0.5), (16, -0.7), (26, -0.4), (36, -0.1), (45, 0.05), (55, -0.05),
               (62, -0.05), (75, 0.0), (88, 0.15), (100, 0.0)],
    "ankle_m": [(0, 0.0), (5, -0.1), (15, -0.5), (28, -1.0), (40, -1.45), (48, -1.7), (54, -1.4),
                (60, -0.6), (65, -0.1), (70, 0.0), (100, 0.0)],
}
_DECLINE = {
    "hip": [(0, 25), (10, 22), (25, 12), (40, 0), (50, -8), (57, -6), (65, 5), (75, 20), (85, 28),
            (92, 28), (100, 25)],
    "knee": [(0, 6), (8, 16), (17, 25), (28, 18), (40, 10), (48, 10), (56, 22), (64, 45), (71, 64),
             (77, 58), (85, 36), (93, 12), (100, 6)],
    "ankle": [(0, -2), (6, -8), (14, -2), (28, 6), (42, 10), (50, 9), (56, 4), (61, -6), (65, -12),
              (70, -9), (78, -3), (88, 0), (100, -2)],
    "hip_m": [(0, -0.1), (4, -0.4), (10, -0.7), (20, -0.35), (30, 0.0), (42, 0.45), (52, 0.75),
              (58, 0.55), (64, 0.2), (75, 0.0), (92, -0.15), (100, -0.1)],
    "knee_m": [(0, 0.05), (5, -0.25), (13, -0.8), (22, -0.6), (32, -0.2), (42, 0.1), (50, 0.05),
               (57, -0.15), (63, -0.05), (75, 0.0), (88, 0.18), (100, 0.05)],
    "ankle_m": [(0, 0.0), (3, 0.1), (8, 0.0), (18, -0.35), (30, -0.75), (42, -1.2), (49, -1.35),
                (55, -1.0), (60, -0.4), (64, -0.05), (70, 0.0), (100, 0.0)],
}
_STAIR_ASCENT = {
    "hip": [(0, 58), (10, 52), (25, 35), (40, 18), (55, 8), (62, 10), (70, 28), (80, 50),
            (88, 62), (95, 62), (100, 58)],
    "knee": [(0, 58), (8, 55), (20, 38), (35, 18), (45, 10), (55, 10), (62, 25), (70, 65),
             (77, 92), (83, 88), (90, 72), (96, 60), (100, 58)],
    "ankle": [(0, 5), (8, 10), (20, 15), (35, 10), (48, 5), (56, -5), (62, -15), (68, -10),
              (76, 5), (85, 12), (93, 8), (100, 5)],
    "hip_m": [(0, -0.3), (5, -0.75), (12, -0.85), (22, -0.55), (35, -0.2), (48, 0.15), (56, 0.3),
              (62, 0.15), (70, 0.0), (85, -0.05), (95, -0.15), (100, -0.3)],
    "knee_m": [(0, -0.1), (6, -0.6), (14, -0.9), (24, -0.75), (34, -0.4), (44, -0.3), (52, -0.35),
               (58, -0.2), (64, 0.0), (80, 0.05), (92, 0.1), (100, -0.1)],
    "ankle_m": [(0, 0.0), (5, -0.4), (15, -1.0), (22, -1.1), (32, -0.9), (42, -1.15), (50, -1.4),
                (56, -0.9), (61, -0.3), (65, 0.0), (100, 0.0)],
}
_RUN = {
    "hip": [(0, 35), (10, 28), (22, 12), (35, -5), (40, -8), (48, -2), (58, 15), (70, 35),
            (80, 45), (88, 42), (95, 37), (100, 35)],
    "knee": [(0, 15), (8, 30), (15, 38), (25, 28), (35, 18), (40, 20), (50, 45), (60, 80),
             (68, 102), (74, 100), (82, 70), (90, 35), (96, 18), (100, 15)],
    "ankle": [(0, 5), (6, 12), (15, 20), (25, 12), (33, -5), (40, -20), (46, -18), (55, -5),
              (65, 5), (80, 8), (92, 8), (100, 5)],
    "hip_m": [(0, -0.5), (4, -1.4), (10, -1.6), (18, -0.9), (28, 0.0), (36, 0.6), (42, 0.5),
              (55, 0.2), (70, 0.05), (85, -0.5), (94, -0.7), (100, -0.5)],
    "knee_m": [(0, 0.1), (5, -1.0), (12, -2.2), (18, -2.4), (26, -1.4), (34, -0.4), (40, 0.0),
               (55, 0.05), (70, 0.1), (82, 0.35), (92, 0.3), (100, 0.1)],
    "ankle_m": [(0, 0.0), (4, -0.6), (12, -2.0), (19, -2.7), (26, -2.3), (33, -1.2), (38, -0.3),
                (42, 0.0), (100, 0.0)],
}

# Stance-normalised GRF key points (u = 0 heel strike .. 1 toe off), in BW.
_GRF_WALK_V = [(0, 0), (0.04, 0.45), (0.12, 1.0), (0.23, 1.2), (0.36, 0.92), (0.5, 0.74),
               (0.64, 0.92), (0.77, 1.18), (0.88, 0.88), (0.96, 0.3), (1, 0)]
_GRF_STAIR_V = [(0, 0), (0.05, 0.5), (0.14, 1.05), (0.24, 1.14), (0.38, 0.86), (0.52, 0.9),
                (0.7, 1.2), (0.82, 1.05), (0.93, 0.4), (1, 0)]
_GRF_RUN_V = [(0, 0), (0.05, 1.1), (0.1, 1.5), (0.16, 1.4), (0.3, 2.1), (0.45, 2.62), (0.6, 2.35),
              (0.78, 1.4), (0.92, 0.5), (1, 0)]
_GRF_AP = [(0, 0), (0.04, -0.12), (0.14, -0.23), (0.3, -0.09), (0.48, 0.0), (0.65, 0.11),
           (0.82, 0.23), (0.93, 0.1), (1, 0)]  # braking then propulsion, scaled per task
_GRF_ML = [(0, 0), (0.06, -0.05), (0.2, -0.06), (0.5, -0.04), (0.8, -0.06), (0.94, -0.02), (1, 0)]


class TaskVariant:
    """One task_id of a task family."""

    def __init__(self, task: str, task_id: str, info: str, pattern: Dict[str, list],
                 stride_time: float, stance: float, grf_v: list, *, amp: float = 1.0,
                 moment_amp: float = 1.0, hip_add: float = 1.0, pelvis: float = 0.10,
                 trunk: float = 0.05, seg_amp: float = 1.0, v_scale: float = 1.0,
                 brake: float = 1.0, propel: float = 1.0, ml: float = 1.0) -> None:
        self.task, self.task_id, self.info = task, task_id, info
        self.pattern, self.stride_time, self.stance = pattern, stride_time, stance
        self.grf_v, self.amp, self.moment_amp, self.hip_add = grf_v, amp, moment_amp, hip_add
        self.pelvis, self.trunk, self.seg_amp, self.v_scale = pelvis, trunk, seg_amp, v_scale
        self.brake, self.propel, self.ml = brake, propel, ml


TASKS: Dict[str, List[TaskVariant]] = {
    "level_walking": [
        TaskVariant("level_walking", "level_0_8_m_s", "speed_m_s:0.8,incline_deg:0,treadmill:true",
                    _LEVEL, 1.28, 0.64, _GRF_WALK_V, amp=0.9, moment_amp=0.85, v_scale=0.95,
                    brake=0.75, propel=0.75, pelvis=0.09, trunk=0.04),
        TaskVariant("level_walking", "level_1_2_m_s", "speed_m_s:1.2,incline_deg:0,treadmill:true",
                    _LEVEL, 1.08, 0.61, _GRF_WALK_V),
    ],
    "incline_walking": [
        TaskVariant("incline_walking", "incline_10deg",
                    "speed_m_s:1.2,incline_deg:10,treadmill:true", _INCLINE, 1.12, 0.62,
                    _GRF_WALK_V, hip_add=0.9, pelvis=0.16, trunk=0.12, brake=0.5, propel=1.5),
    ],
    "decline_walking": [
        TaskVariant("decline_walking", "decline_5deg",
                    "speed_m_s:1.2,incline_deg:-5,treadmill:true", _DECLINE, 1.06, 0.61,
                    _GRF_WALK_V, hip_add=1.1, pelvis=0.07, trunk=0.02, v_scale=1.03, brake=1.4,
                    propel=0.7),
    ],
    "stair_ascent": [
        TaskVariant("stair_ascent", "stair_ascent", "step_height_m:0.17,steps:4,treadmill:false",
                    _STAIR_ASCENT, 1.35, 0.64, _GRF_STAIR_V, hip_add=0.7, pelvis=0.15,
                    trunk=0.16, brake=0.4, propel=0.6),
    ],
    "run": [
        TaskVariant("run", "run_2_5_m_s", "speed_m_s:2.5,incline_deg:0,treadmill:true", _RUN,
                    0.72, 0.38, _GRF_RUN_V, hip_add=1.3, pelvis=0.2, trunk=0.14, seg_amp=1.8,
                    brake=1.6, propel=1.5, ml=1.5),
    ],
}
ALL_TASKS = list(TASKS)

# Base signals produced by the Fourier model, in this order.
SIGNALS = ["hip", "knee", "ankle", "hip_add", "hip_m", "knee_m", "ankle_m"]
ANGLE_SIGNALS = 4  # first four are angles (radians)
K_HARM = 10        # harmonics of the mean curves
K_PERT = 4         # harmonics of the smooth per-cycle perturbation
K_SINE = 10        # sine-series terms of the stance-normalised GRF shapes


def _sigma(k: np.ndarray, kmax: int) -> np.ndarray:
    return np.sinc(k / (kmax + 1.0))  # Lanczos sigma factors: no Gibbs ringing


def fourier_from_keypoints(kp: Sequence[Tuple[float, float]], scale: float = 1.0,
                           k_harm: int = K_HARM) -> np.ndarray:
    """Coefficients [a0, a1..aK, b1..bK] of a smooth periodic curve through key points."""
    x = np.array([p for p, _ in kp], dtype=float) / 100.0
    y = np.array([v for _, v in kp], dtype=float) * scale
    m = 720
    g = np.arange(m) / m
    yi = np.interp(g, x, y, period=1.0)
    c = np.fft.rfft(yi) / m
    k = np.arange(1, k_harm + 1)
    sig = _sigma(k, k_harm)
    a = 2.0 * c[1:k_harm + 1].real * sig
    b = -2.0 * c[1:k_harm + 1].imag * sig
    return np.concatenate([[c[0].real], a, b])


def sine_from_keypoints(kp: Sequence[Tuple[float, float]], k_sine: int = K_SINE) -> np.ndarray:
    """Coefficients b_k of sum_k b_k sin(k pi u), u in [0, 1], through key points (0 at ends)."""
    x = np.array([p for p, _ in kp], dtype=float)
    y = np.array([v for _, v in kp], dtype=float)
    m = 800
    u = (np.arange(m) + 0.5) / m
    yi = np.interp(u, x, y)
    k = np.arange(1, k_sine + 1)
    b = 2.0 * (np.sin(np.pi * np.outer(u, k)) * yi[:, None]).mean(axis=0)
    return b * _sigma(k, k_sine)


def _cos_sin(x: np.ndarray, kmax: int) -> Tuple[np.ndarray, np.ndarray]:
    """cos(k x), sin(k x) for k = 1..kmax stacked on a new last axis (angle addition)."""
    c1, s1 = np.cos(x), np.sin(x)
    cs = np.empty(x.shape + (kmax,))
    ss = np.empty(x.shape + (kmax,))
    cs[..., 0], ss[..., 0] = c1, s1
    for k in range(1, kmax):
        cs[..., k] = cs[..., k - 1] * c1 - ss[..., k - 1] * s1
        ss[..., k] = ss[..., k - 1] * c1 + cs[..., k - 1] * s1
    return cs, ss


class _TaskModel:
    """Precomputed coefficients of one task variant."""

    def __init__(self, tv: TaskVariant) -> None:
        self.tv = tv
        coefs = []
        for sig in SIGNALS:
            if sig == "hip_add":
                coef = fourier_from_keypoints(_HIP_ADD, math.pi / 180 * tv.hip_add)
            else:
                unit = math.pi / 180 if sig in ("hip", "knee", "ankle") else 1.0
                coef = fourier_from_keypoints(tv.pattern[sig], unit)
                coef[1:] *= tv.amp if unit != 1.0 else tv.moment_amp
            coefs.append(coef)
        self.coef = np.stack(coefs, axis=1)  # (1 + 2K, J)
        self.grf_v = sine_from_keypoints(tv.grf_v) * tv.v_scale
        ap = [(u, v * (tv.brake if v < 0 else tv.propel)) for u, v in _GRF_AP]
        self.grf_ap = sine_from_keypoints(ap)
        self.grf_ml = sine_from_keypoints([(u, v * tv.ml) for u, v in _GRF_ML])


_MODELS: Dict[str, _TaskModel] = {}


def _model(tv: TaskVariant) -> _TaskModel:
    if tv.task_id not in _MODELS:
        _MODELS[tv.task_id] = _TaskModel(tv)
    return _MODELS[tv.task_id]


# Groups of columns that lose samples together (marker dropout, force plate missing).
MISSING_GROUPS: List[List[str]] = [
    ["hip_adduction_angle_contra_rad"],
    ["ankle_dorsiflexion_angle_contra_rad", "ankle_dorsiflexion_velocity_contra_rad_s",
     "foot_sagittal_angle_contra_rad"],
    ["grf_lateral_ipsi_BW"],
    ["ankle_dorsiflexion_moment_ipsi_Nm_kg"],
    ["trunk_sagittal_angle_rad"],
    ["hip_flexion_moment_contra_Nm_kg", "knee_flexion_moment_contra_Nm_kg",
     "ankle_dorsiflexion_moment_contra_Nm_kg"],
    ["hip_flexion_velocity_ipsi_rad_s"],
    ["shank_sagittal_angle_ipsi_rad"],
]

# Outlier kinds: (kind, column, scale, offset, also-scale columns)
OUTLIER_KINDS = [
    ("scale", "knee_flexion_angle_ipsi_rad", 1.8, 0.0, ["knee_flexion_velocity_ipsi_rad_s"]),
    ("offset", "knee_flexion_angle_ipsi_rad", 1.0, 0.5, []),
    ("scale", "grf_vertical_ipsi_BW", 1.6, 0.0, []),
]
MIN_OUTLIER_CYCLES = 10  # a subject x task needs this many cycles to receive an outlier

# ----------------------------------------------------------------------------
# Options, presets
# ----------------------------------------------------------------------------

DEFAULTS: Dict[str, Any] = {
    "subjects": 5,
    "cycles": [10, 20],            # per subject x task (min, max), split over its task_ids
    "tasks": ALL_TASKS,
    "dtype": "float64",
    "compression": "snappy",
    "row_group_size": None,        # auto: ~8 row groups, never a multiple of 150
    "string_encoding": "dictionary",
    "seed": 0,
    "missing": "null",             # null | nan | mixed (per column)
    "target_mb": None,
    "variables": None,             # None = all
    "outliers": None,              # None = auto
    "nan_runs": None,              # None = auto
    "cycle_overrides": [],         # [[subject_index, task, n_cycles], ...]
    "drop_rows": [],               # [[subject_index, task, n_rows_dropped_at_end], ...]
    "order": "subject",            # file order: subject by subject, or task by task
    "writer": "row-groups",        # row-groups (row_group_size) | per-task (LocoHub: one write_table per task)
    "page_checksum": False,        # CRC32 per page (pyarrow's write_page_checksum)
    "data_page_size": None,        # bytes per data page (None: pyarrow's 1 MB)
}

PRESETS: Dict[str, Dict[str, Any]] = {
    "demo": {"subjects": 10, "tasks": ALL_TASKS, "dtype": "float64", "compression": "snappy",
             "target_mb": 100, "string_encoding": "dictionary",
             "_filename": "locolens_demo_phase.parquet"},
    # About 1 M rows: the benchmark's in-memory file.
    # No missing samples in the benchmark files: every tool (numpy, DuckDB's NULL-skipping
    # aggregates, locolens) then means the same thing, and their numbers can be compared.
    "bench": {"subjects": 20, "tasks": ALL_TASKS, "dtype": "float32", "compression": "zstd",
              "target_mb": 150, "string_encoding": "dictionary", "nan_runs": 0,
              "_filename": "locolens_bench_phase.parquet"},
    # About 2 GB: larger than the default memory budget, so analyses stream it.
    "large": {"subjects": 40, "tasks": ALL_TASKS, "dtype": "float32", "compression": "zstd",
              "target_mb": 2048, "string_encoding": "dictionary", "nan_runs": 0,
              "_filename": "locolens_large_phase.parquet"},
    # Shaped like LocoHub's released files: float64, snappy, task by task, each task written
    # through one pyarrow ParquetWriter with its default row-group size (up to ~1 M rows a group).
    "locohub": {"subjects": 12, "tasks": ALL_TASKS, "dtype": "float64", "compression": "snappy",
                "target_mb": 1000, "string_encoding": "dictionary", "nan_runs": 0,
                "order": "task", "writer": "per-task",
                "_filename": "locolens_locohub_phase.parquet"},
}
DEFAULT_FILENAME = "locolens_synthetic_phase.parquet"
MAX_AUTO_ROW_GROUP = 1_000_001  # rows; not a multiple of 150
CHUNK_CYCLES = 500              # cycles generated at once (bounds memory)


def _norm_cycles(c: Any) -> List[int]:
    if isinstance(c, str):
        parts = [int(p) for p in c.split(",") if p.strip()]
    elif isinstance(c, (int, np.integer)):
        parts = [int(c)]
    else:
        parts = [int(p) for p in c]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or parts[0] < 0 or parts[1] < parts[0]:
        raise ValueError(f"cycles must be N or MIN,MAX, got {c!r}")
    return parts


def resolve_options(preset: Optional[str] = None, **opts: Any) -> Dict[str, Any]:
    """Merge defaults, a preset and explicit options (None = not given)."""
    o = dict(DEFAULTS)
    if preset:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r} (demo, bench, large; fixtures via write_fixtures)")
        o.update({k: v for k, v in PRESETS[preset].items() if not k.startswith("_")})
    for k, v in opts.items():
        if k not in DEFAULTS:
            raise TypeError(f"unknown option {k!r}")
        if v is not None:
            o[k] = v
    o["cycles"] = _norm_cycles(o["cycles"])
    tasks = o["tasks"]
    if isinstance(tasks, str):
        tasks = [t.strip() for t in tasks.split(",") if t.strip()]
    for t in tasks:
        if t not in TASKS:
            raise ValueError(f"unknown task {t!r}; known: {', '.join(ALL_TASKS)}")
    o["tasks"] = list(tasks)
    if o["dtype"] not in ("float32", "float64"):
        raise ValueError("dtype must be float32 or float64")
    o["compression"] = str(o["compression"]).lower()
    if o["compression"] not in ("snappy", "zstd", "gzip", "none", "uncompressed"):
        raise ValueError("compression must be snappy, zstd, gzip or none")
    if o["compression"] == "uncompressed":
        o["compression"] = "none"
    if o["string_encoding"] not in ("dictionary", "plain"):
        raise ValueError("string_encoding must be dictionary or plain")
    if o["missing"] not in ("null", "nan", "mixed"):
        raise ValueError("missing must be null, nan or mixed")
    if o["variables"] is not None:
        v = o["variables"]
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        bad = [x for x in v if x not in ALL_VARIABLES]
        if bad:
            raise ValueError(f"unknown variables {bad}")
        o["variables"] = [x for x in ALL_VARIABLES if x in v]  # canonical order
    o["subjects"] = int(o["subjects"])
    o["seed"] = int(o["seed"])
    o["cycle_overrides"] = [[int(a), str(b), int(c)] for a, b, c in o["cycle_overrides"]]
    o["drop_rows"] = [[int(a), str(b), int(c)] for a, b, c in o["drop_rows"]]
    if o["target_mb"] is not None:
        o["target_mb"] = float(o["target_mb"])
    if o["row_group_size"] is not None:
        o["row_group_size"] = int(o["row_group_size"])
        if o["row_group_size"] % POINTS == 0:
            print(f"warning: row group size {o['row_group_size']} is a multiple of {POINTS}: "
                  "cycles will not straddle row groups", file=sys.stderr)
    return o


# ----------------------------------------------------------------------------
# Plan: subjects, blocks, injections (everything random except the samples)
# ----------------------------------------------------------------------------

def _subject_params(rng: np.random.Generator, i: int) -> Dict[str, Any]:
    sex = "F" if rng.random() < 0.5 else "M"
    height = rng.normal(1.64 if sex == "F" else 1.78, 0.07)
    height = float(np.clip(height, 1.50, 1.98))
    bmi = float(np.clip(rng.normal(23.5, 2.5), 18.5, 31))
    weight = round(bmi * height * height, 1)
    age = int(rng.integers(20, 61))
    j = len(SIGNALS)
    p = {
        "id": f"UM21_AB{i + 1:02d}",
        "metadata": f"age:{age},sex:{sex},height_m:{height:.2f},weight_kg:{weight:g}",
        "height": height,
        # Per-signal offsets (rad / Nm_kg) and amplitude scales.
        "offset": rng.normal(0, [0.05, 0.04, 0.04, 0.03, 0.04, 0.03, 0.03]),
        "scale": np.clip(rng.normal(1.0, [0.07, 0.06, 0.10, 0.15, 0.10, 0.12, 0.08]), 0.7, 1.3),
        "contra_scale": rng.normal(1.0, 0.03, size=j),
        "contra_offset": rng.normal(0, 0.015, size=j) * np.array([1, 1, 1, 1, 0.5, 0.5, 0.5]),
        "time_scale": (height / 1.75) ** 0.5 * rng.normal(1.0, 0.03),
        "stance_scale": rng.normal(1.0, 0.015),
        "grf_scale": rng.normal(1.0, 0.04, size=3),
        "pelvis_offset": rng.normal(0, 0.04),
        "trunk_offset": rng.normal(0, 0.04),
    }
    return p


def make_plan(o: Dict[str, Any]) -> Dict[str, Any]:
    rng = np.random.default_rng([o["seed"], 0])
    subjects = [_subject_params(rng, i) for i in range(o["subjects"])]
    overrides = {(si, t): n for si, t, n in o["cycle_overrides"]}
    drops = {(si, t): n for si, t, n in o["drop_rows"]}
    lo, hi = o["cycles"]
    blocks: List[Dict[str, Any]] = []
    groups: List[Dict[str, Any]] = []  # subject x task
    row = 0
    order = ([(si, task) for si in range(len(subjects)) for task in o["tasks"]] if o.get("order", "subject") == "subject"
             else [(si, task) for task in o["tasks"] for si in range(len(subjects))])
    for si, task in order:
        n = int(rng.integers(lo, hi + 1))
        n = overrides.get((si, task), n)
        variants = TASKS[task]
        m = len(variants)
        counts = [n // m + (1 if k < n % m else 0) for k in range(m)]
        g = {"subject": si, "task": task, "row_start": row, "cycles": n, "blocks": []}
        step0 = 0
        for tv, c in zip(variants, counts):
            if c == 0:
                continue
            b = {"index": len(blocks), "subject": si, "variant": tv, "cycles": c,
                 "step0": step0, "row_start": row, "rows": c * POINTS, "drop": 0}
            blocks.append(b)
            g["blocks"].append(b)
            step0 += c
            row += c * POINTS
        drop = drops.get((si, task), 0)
        if drop and g["blocks"]:
            last = g["blocks"][-1]
            drop = min(drop, last["rows"])
            last["drop"] = drop
            last["rows"] -= drop
            row -= drop
        g["rows"] = row - g["row_start"]
        if g["rows"] > 0:
            groups.append(g)
    total_rows = row
    variables = o["variables"] or ALL_VARIABLES
    outliers = _plan_outliers(o, rng, subjects, groups, variables)
    out_groups = {(x["_subject"], x["task"]) for x in outliers}
    missing = _plan_missing(o, rng, subjects, groups, variables, out_groups)
    rgs = o["row_group_size"]
    if rgs is None:
        rgs = max(1000, min(MAX_AUTO_ROW_GROUP, -(-total_rows // 8)))
        if rgs % POINTS == 0:
            rgs += 1
    return {"subjects": subjects, "blocks": blocks, "groups": groups, "rows": total_rows,
            "variables": variables, "outliers": outliers, "missing": missing,
            "row_group_size": rgs}


def _plan_outliers(o, rng, subjects, groups, variables) -> List[Dict[str, Any]]:
    kinds = [k for k in OUTLIER_KINDS if k[1] in variables]
    eligible = [g for g in groups if g["cycles"] >= MIN_OUTLIER_CYCLES
                and g["rows"] == g["cycles"] * POINTS]
    if not kinds or not eligible:
        return []
    total = sum(g["cycles"] for g in groups)
    want = o["outliers"] if o["outliers"] is not None else min(12, max(3, total // 400))
    slots = []  # (group, max outliers in it)
    for gi in rng.permutation(len(eligible)):
        g = eligible[gi]
        slots.extend([g] * max(1, g["cycles"] // 100))
    slots = slots[:want]
    slots.sort(key=lambda g: g["row_start"])
    out = []
    used = set()
    for i, g in enumerate(slots):
        kind, col, scale, offset, also = kinds[i % len(kinds)]
        while True:
            c = int(rng.integers(0, g["cycles"]))
            if (g["row_start"], c) not in used:
                break
        used.add((g["row_start"], c))
        row = g["row_start"] + c * POINTS
        b = next(b for b in g["blocks"] if b["row_start"] <= row < b["row_start"] + b["rows"])
        out.append({"subject": subjects[g["subject"]]["id"], "task": g["task"],
                    "task_id": b["variant"].task_id, "step": c, "cycle_in_task": c,
                    "row_start": row, "column": col, "kind": kind, "factor": scale,
                    "offset": offset, "also_scaled": [a for a in also if a in variables],
                    "_subject": g["subject"]})
    out.sort(key=lambda x: x["row_start"])
    return out


def _plan_missing(o, rng, subjects, groups, variables, out_groups) -> List[Dict[str, Any]]:
    avail = [[c for c in grp if c in variables] for grp in MISSING_GROUPS]
    avail = [(gi, grp) for gi, grp in enumerate(avail) if grp]
    if not avail or not groups:
        return []
    want = o["nan_runs"] if o["nan_runs"] is not None else min(10, max(3, len(groups) // 6))
    cands = [g for g in groups if (g["subject"], g["task"]) not in out_groups] or groups
    runs = []
    taken: List[Tuple[int, int, int]] = []  # (column group, start, end)
    for i in range(want):
        gi, cols = avail[i % len(avail)]
        for _attempt in range(20):  # avoid overlapping runs in the same columns
            g = cands[int(rng.integers(0, len(cands)))]
            length = min(int(rng.integers(5, 41)), g["rows"])
            start = g["row_start"] + int(rng.integers(0, g["rows"] - length + 1))
            if not any(t[0] == gi and start < t[2] + 1 and t[1] < start + length + 1
                       for t in taken):
                break
        taken.append((gi, start, start + length))
        if o["missing"] == "mixed":
            mode = "nan" if gi % 2 else "null"
        else:
            mode = o["missing"]
        runs.append({"subject": subjects[g["subject"]]["id"], "task": g["task"],
                     "row_start": start, "rows": length, "columns": cols, "as": mode})
    runs.sort(key=lambda r: r["row_start"])
    return runs


def column_missing_modes(plan: Dict[str, Any]) -> Dict[str, str]:
    modes: Dict[str, str] = {}
    for r in plan["missing"]:
        for c in r["columns"]:
            modes[c] = r["as"]
    return modes


# ----------------------------------------------------------------------------
# Sample generation
# ----------------------------------------------------------------------------

def _stance_shape(coef: np.ndarray, u: np.ndarray, stance: np.ndarray) -> np.ndarray:
    """sum_k coef_k sin(k pi u) inside stance (0 <= u < 1), 0 in swing."""
    inside = stance
    x = np.pi * np.where(inside, u, 0.0)
    _, s = _cos_sin(x, len(coef))
    return np.where(inside, s @ coef, 0.0)


def generate_chunk(o: Dict[str, Any], plan: Dict[str, Any], block: Dict[str, Any],
                   c0: int, c1: int) -> Dict[str, np.ndarray]:
    """All variables (float64, before injections) of cycles c0..c1-1 of one block."""
    tv: TaskVariant = block["variant"]
    model = _model(tv)
    subj = plan["subjects"][block["subject"]]
    rng = np.random.default_rng([o["seed"], 1, block["index"], c0])
    n = c1 - c0
    j = len(SIGNALS)
    t = PHASE / 100.0

    # Per-cycle parameters.
    amp = 1.0 + 0.035 * rng.standard_normal((n, 1)) + 0.025 * rng.standard_normal((n, j))
    shift = 0.005 * rng.standard_normal((n, 1))
    warp = np.clip(0.05 * rng.standard_normal((n, 1)), -0.2, 0.2)
    stride = tv.stride_time * subj["time_scale"] * (1.0 + 0.02 * rng.standard_normal(n))
    stance = np.clip(tv.stance * subj["stance_scale"] * (1 + 0.015 * rng.standard_normal((n, 1))),
                     0.2, 0.9)
    grf_amp = 1.0 + 0.03 * rng.standard_normal((n, 3))
    pert_sd = np.array([0.012, 0.015, 0.010, 0.008, 0.04, 0.03, 0.04])
    kp = np.arange(1, K_PERT + 1)
    pert = rng.standard_normal((n, 2 * K_PERT, j)) * (pert_sd / np.concatenate([kp, kp])[:, None])

    # Warped phase w(t) (cycles) and dw/dt.
    two_pi_t = 2 * np.pi * t
    w = t[None, :] + shift + warp * np.sin(two_pi_t)[None, :] / (2 * np.pi)  # (n, 150)
    dw = 1.0 + warp * np.cos(two_pi_t)[None, :]
    cs, ss = _cos_sin(2 * np.pi * w, K_HARM)  # (n, 150, K)

    coef = model.coef.copy()
    coef[0] += subj["offset"]
    coef[1:] *= subj["scale"]
    a0, ca, cb = coef[0], coef[1:K_HARM + 1], coef[K_HARM + 1:]
    k = np.arange(1, K_HARM + 1) * 2 * np.pi
    var = cs @ ca + ss @ cb                                   # (n, 150, J) zero-mean part
    dvar = ss @ (-ca * k[:, None]) + cs @ (cb * k[:, None])   # d/dw
    rate = dw / stride[:, None]                               # cycles per second (n, 150)
    kq = np.arange(1, K_PERT + 1) * 2 * np.pi
    half = -(POINTS // 2)

    def roll(x: np.ndarray) -> np.ndarray:
        return np.roll(x, half, axis=1)

    def perturb(cq: np.ndarray, sq: np.ndarray, p: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Smooth per-cycle perturbation (harmonics 1..K_PERT) and its d/dw."""
        pa_, pb_ = p[:, :K_PERT, :], p[:, K_PERT:, :]
        x = np.einsum("ntk,nkj->ntj", cq, pa_) + np.einsum("ntk,nkj->ntj", sq, pb_)
        dx = (np.einsum("ntk,nkj->ntj", sq, -pa_ * kq[None, :, None])
              + np.einsum("ntk,nkj->ntj", cq, pb_ * kq[None, :, None]))
        return x, dx

    cq, sq = cs[..., :K_PERT], ss[..., :K_PERT]
    px, pdx = perturb(cq, sq, pert)
    ipsi = a0 + var * amp[:, None, :] + px                    # (n, 150, J)
    dipsi = (dvar * amp[:, None, :] + pdx) * rate[..., None]  # per second
    # Contralateral side: the same cycle half a cycle later (75 samples), with its own
    # subject asymmetry, per-cycle amplitude and smooth perturbation.
    amp_c = amp * (1.0 + 0.02 * rng.standard_normal((n, j)))
    pert_c = rng.standard_normal(pert.shape) * (pert_sd / np.concatenate([kp, kp])[:, None])
    pcx, pcdx = perturb(roll(cq), roll(sq), pert_c)
    csc, cof = subj["contra_scale"], subj["contra_offset"]
    contra = a0 + cof + roll(var) * (amp_c * csc)[:, None, :] + pcx
    dcontra = (roll(dvar) * (amp_c * csc)[:, None, :] + pcdx) * roll(rate)[..., None]

    out: Dict[str, np.ndarray] = {}
    names = {"hip": "hip_flexion", "knee": "knee_flexion", "ankle": "ankle_dorsiflexion",
             "hip_add": "hip_adduction"}
    for jj, s in enumerate(SIGNALS[:ANGLE_SIGNALS]):
        out[f"{names[s]}_angle_ipsi_rad"] = ipsi[..., jj]
        out[f"{names[s]}_angle_contra_rad"] = contra[..., jj]
    for jj, s in enumerate(SIGNALS[:3]):
        out[f"{names[s]}_velocity_ipsi_rad_s"] = dipsi[..., jj]
        out[f"{names[s]}_velocity_contra_rad_s"] = dcontra[..., jj]
    # Segment angles: pelvis / trunk (global), then the chain of the standard.
    c2, s2 = cs[..., 1], ss[..., 1]
    cyc_off = 0.01 * rng.standard_normal((n, 2))
    pelvis = (tv.pelvis + subj["pelvis_offset"] + cyc_off[:, :1]
              + tv.seg_amp * (0.025 * c2 + 0.01 * s2))
    trunk = (tv.trunk + subj["trunk_offset"] + cyc_off[:, 1:]
             + tv.seg_amp * (0.015 * c2 - 0.012 * s2))
    out["pelvis_sagittal_angle_rad"] = pelvis
    out["trunk_sagittal_angle_rad"] = trunk
    for side in SIDES:
        thigh = pelvis + out[f"hip_flexion_angle_{side}_rad"]
        shank = thigh - out[f"knee_flexion_angle_{side}_rad"]
        foot = shank - out[f"ankle_dorsiflexion_angle_{side}_rad"]
        out[f"thigh_sagittal_angle_{side}_rad"] = thigh
        out[f"shank_sagittal_angle_{side}_rad"] = shank
        out[f"foot_sagittal_angle_{side}_rad"] = foot
    # Moments (+ small sensor noise).
    mnames = {"hip_m": "hip_flexion", "knee_m": "knee_flexion", "ankle_m": "ankle_dorsiflexion"}
    for jj, s in enumerate(SIGNALS):
        if s not in mnames:
            continue
        base = ipsi[..., jj]
        out[f"{mnames[s]}_moment_ipsi_Nm_kg"] = base + 0.008 * rng.standard_normal(base.shape)
        out[f"{mnames[s]}_moment_contra_Nm_kg"] = (contra[..., jj]
                                                  + 0.008 * rng.standard_normal(base.shape))
    # GRF: stance-normalised shapes on the warped phase, zero in swing.
    wm = np.mod(w, 1.0)
    u = wm / stance
    inside = u < 1.0
    v = _stance_shape(model.grf_v, u, inside)
    v = np.maximum(v, 0.0) * (subj["grf_scale"][0] * grf_amp[:, :1])
    ap = _stance_shape(model.grf_ap, u, inside) * (subj["grf_scale"][1] * grf_amp[:, 1:2])
    ml = _stance_shape(model.grf_ml, u, inside) * (subj["grf_scale"][2] * grf_amp[:, 2:3])
    grf_amp_c = 1.0 + 0.02 * rng.standard_normal((n, 3))
    for gi, (name, x, sd) in enumerate((("vertical", v, 0.006), ("anterior", ap, 0.004),
                                        ("lateral", ml, 0.002))):
        noise_i = sd * rng.standard_normal(x.shape) * inside
        xc = roll(x) * grf_amp_c[:, gi:gi + 1]
        noise_c = sd * rng.standard_normal(x.shape) * roll(inside)
        out[f"grf_{name}_ipsi_BW"] = x + noise_i
        out[f"grf_{name}_contra_BW"] = xc + noise_c
    out["_stride_time_s"] = stride
    return out


def _apply_injections(cols: Dict[str, np.ndarray], plan: Dict[str, Any], r0: int,
                      r1: int) -> None:
    """Outliers and missing runs falling in global rows r0..r1-1 (cols are flat arrays)."""
    for x in plan["outliers"]:
        a, b = max(r0, x["row_start"]), min(r1, x["row_start"] + POINTS)
        if a >= b:
            continue
        sl = slice(a - r0, b - r0)
        if x["column"] in cols:
            cols[x["column"]][sl] = cols[x["column"]][sl] * x["factor"] + x["offset"]
        for c in x["also_scaled"]:
            if c in cols:
                cols[c][sl] = cols[c][sl] * x["factor"]
    for m in plan["missing"]:
        a, b = max(r0, m["row_start"]), min(r1, m["row_start"] + m["rows"])
        if a >= b:
            continue
        for c in m["columns"]:
            if c in cols:
                cols[c][a - r0:b - r0] = np.nan


def _schema(o: Dict[str, Any], plan: Dict[str, Any], params_json: str,
            injected_json: str) -> pa.Schema:
    ft = pa.float32() if o["dtype"] == "float32" else pa.float64()
    fields = [pa.field(c, pa.string()) for c in STRING_COLUMNS]
    fields.append(pa.field("step", pa.int32()))
    fields.append(pa.field("phase_ipsi", pa.float64()))
    fields += [pa.field(v, ft) for v in plan["variables"]]
    return pa.schema(fields, metadata={META_KEY: params_json, INJECTED_KEY: injected_json})


def iter_tables(o: Dict[str, Any], plan: Dict[str, Any], schema: pa.Schema) -> Iterable[pa.Table]:
    """Tables of at most CHUNK_CYCLES cycles, in file order."""
    npdt = np.float32 if o["dtype"] == "float32" else np.float64
    modes = column_missing_modes(plan)
    default_null = o["missing"] == "null"
    for block in plan["blocks"]:
        tv: TaskVariant = block["variant"]
        subj = plan["subjects"][block["subject"]]
        for c0 in range(0, block["cycles"], CHUNK_CYCLES):
            c1 = min(block["cycles"], c0 + CHUNK_CYCLES)
            raw = generate_chunk(o, plan, block, c0, c1)
            n_rows = (c1 - c0) * POINTS
            keep = min(n_rows, block["rows"] - c0 * POINTS)
            if keep <= 0:
                break
            r0 = block["row_start"] + c0 * POINTS
            cols = {v: raw[v].reshape(-1)[:keep].copy() for v in plan["variables"]}
            _apply_injections(cols, plan, r0, r0 + keep)
            arrays = [
                pa.repeat(pa.scalar(subj["id"], pa.string()), keep),
                pa.repeat(pa.scalar(subj["metadata"], pa.string()), keep),
                pa.repeat(pa.scalar(tv.task, pa.string()), keep),
                pa.repeat(pa.scalar(tv.task_id, pa.string()), keep),
                pa.repeat(pa.scalar(tv.info, pa.string()), keep),
                pa.array(np.repeat(np.arange(block["step0"] + c0, block["step0"] + c1,
                                             dtype=np.int32), POINTS)[:keep]),
                pa.array(np.tile(PHASE, c1 - c0)[:keep]),
            ]
            for v in plan["variables"]:
                x = cols[v].astype(npdt, copy=False)
                as_null = modes.get(v, "null" if default_null else "nan") == "null"
                arrays.append(pa.array(x, from_pandas=as_null))
            yield pa.Table.from_arrays(arrays, schema=schema)


# ----------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------

def _codec(compression: str) -> str:
    return "NONE" if compression == "none" else compression


def _use_dictionary(o: Dict[str, Any]) -> List[str]:
    cols = ["step", "phase_ipsi"]
    if o["string_encoding"] == "dictionary":
        cols = STRING_COLUMNS + cols
    return cols


_SOURCE_HASH: Optional[str] = None


def source_hash() -> str:
    """Short hash of this script: any change of the generator invalidates existing files."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        with open(os.path.abspath(__file__), "rb") as f:
            _SOURCE_HASH = hashlib.sha256(f.read()).hexdigest()[:16]
    return _SOURCE_HASH


def _params(o: Dict[str, Any]) -> Dict[str, Any]:
    p = {"generator": GENERATOR_NAME, "version": GENERATOR_VERSION, "source": source_hash()}
    p.update({k: o[k] for k in DEFAULTS})
    return p


def _public_injected(plan: Dict[str, Any]) -> Dict[str, Any]:
    return {"outliers": [{k: v for k, v in x.items() if not k.startswith("_")}
                         for x in plan["outliers"]],
            "missing": plan["missing"]}


def write_plan(sink: Any, o: Dict[str, Any], plan: Dict[str, Any]) -> Tuple[int, int]:
    """Write the planned dataset to ``sink`` (path or pyarrow stream) with bounded memory."""
    schema = _schema(o, plan, json.dumps(_params(o), sort_keys=True),
                     json.dumps(_public_injected(plan), sort_keys=True))
    rgs = plan["row_group_size"]
    n_groups = 0
    rows = 0
    with pq.ParquetWriter(sink, schema, compression=_codec(o["compression"]),
                          use_dictionary=_use_dictionary(o),
                          write_page_checksum=bool(o.get("page_checksum")),
                          data_page_size=o.get("data_page_size")) as writer:
        if o.get("writer") == "per-task":
            # LocoHub's converters: one table per task, written with pyarrow's default row groups.
            task_tables: List[pa.Table] = []
            current = None
            for t in iter_tables(o, plan, schema):
                task = t.column("task")[0].as_py()
                if current is not None and task != current:
                    table = pa.concat_tables(task_tables)
                    writer.write_table(table)
                    rows += table.num_rows
                    task_tables = []
                current = task
                task_tables.append(t)
            if task_tables:
                table = pa.concat_tables(task_tables)
                writer.write_table(table)
                rows += table.num_rows
            del task_tables
            return rows, -1
        pending: List[pa.Table] = []
        n_pending = 0
        for t in iter_tables(o, plan, schema):
            pending.append(t)
            n_pending += t.num_rows
            while n_pending >= rgs:
                buf = pa.concat_tables(pending)
                writer.write_table(buf.slice(0, rgs), row_group_size=rgs)
                n_groups += 1
                rows += rgs
                rest = buf.slice(rgs)
                pending = [rest] if rest.num_rows else []
                n_pending = rest.num_rows
        if n_pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=rgs)
            n_groups += 1
            rows += n_pending
    return rows, n_groups


def _calibrate_cycles(o: Dict[str, Any]) -> List[int]:
    """Cycles per subject x task (min, max) so that the file is about target_mb."""
    probe = dict(o, subjects=min(o["subjects"], 2), cycles=[30, 30], target_mb=None,
                 outliers=0, nan_runs=0, cycle_overrides=[], drop_rows=[],
                 row_group_size=MAX_AUTO_ROW_GROUP)
    plan = make_plan(probe)
    sink = pa.BufferOutputStream()
    rows, _ = write_plan(sink, probe, plan)
    bytes_per_row = sink.getvalue().size / rows
    target_rows = o["target_mb"] * 1e6 / bytes_per_row
    per_group = target_rows / POINTS / (o["subjects"] * len(o["tasks"]))
    c = max(1.0, per_group)
    lo, hi = max(1, int(round(0.8 * c))), max(1, int(round(1.2 * c)))
    return [lo, hi]


def _existing_params(path: str) -> Optional[Dict[str, Any]]:
    try:
        md = pq.read_metadata(path).metadata or {}
        return json.loads(md[META_KEY.encode()].decode())
    except Exception:
        return None


def _summary(path: str, seconds: float, status: str) -> Dict[str, Any]:
    md = pq.read_metadata(path)
    return {"path": path, "status": status, "rows": md.num_rows,
            "row_groups": md.num_row_groups, "mb": os.path.getsize(path) / 1e6,
            "seconds": seconds}


def _print(s: Dict[str, Any]) -> None:
    if s["status"] == "exists":
        print(f"exists {s['path']}: {s['rows']} rows, {s['row_groups']} row groups, "
              f"{s['mb']:.1f} MB (same parameters; --force to rewrite)")
    else:
        print(f"wrote {s['path']}: {s['rows']} rows, {s['row_groups']} row groups, "
              f"{s['mb']:.2f} MB, {s['seconds']:.1f} s")


def generate(path: str, *, preset: Optional[str] = None, force: bool = False,
             verbose: bool = True, **opts: Any) -> Dict[str, Any]:
    """Write one phase-indexed parquet file; returns a summary dict.

    ``path`` may be a directory (or end with '/'), then the preset's file name is used.
    Options: see DEFAULTS. Skips (status 'exists') when the file was written with the
    same parameters, unless ``force``.
    """
    t0 = time.perf_counter()
    o = resolve_options(preset, **opts)
    if o["target_mb"] is not None:
        o["cycles"] = _calibrate_cycles(o)
    path = _resolve_path(path, preset)
    params = _params(o)
    if not force and os.path.exists(path) and _existing_params(path) == json.loads(
            json.dumps(params, sort_keys=True)):
        s = _summary(path, time.perf_counter() - t0, "exists")
        if verbose:
            _print(s)
        return s
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    plan = make_plan(o)
    tmp = path + ".tmp"
    try:
        write_plan(tmp, o, plan)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    s = _summary(path, time.perf_counter() - t0, "written")
    if verbose:
        _print(s)
    return s


def _resolve_path(path: str, preset: Optional[str]) -> str:
    if path.endswith(".parquet"):
        return path
    name = PRESETS[preset]["_filename"] if preset in PRESETS else DEFAULT_FILENAME
    return os.path.join(path, name)


# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------

SMALL_VARS = ["hip_flexion_angle_ipsi_rad", "knee_flexion_angle_ipsi_rad",
              "knee_flexion_angle_contra_rad", "ankle_dorsiflexion_angle_ipsi_rad",
              "ankle_dorsiflexion_angle_contra_rad", "knee_flexion_velocity_ipsi_rad_s",
              "ankle_dorsiflexion_moment_ipsi_Nm_kg", "grf_vertical_ipsi_BW"]
ONE_RG = 1_000_000  # rows; one row group for the small files

FIXTURES: Dict[str, Dict[str, Any]] = {
    "tiny_snappy.parquet": dict(subjects=3, tasks=["level_walking", "run"], cycles=4,
                                dtype="float32", compression="snappy", row_group_size=ONE_RG,
                                outliers=0, nan_runs=0, seed=1),
    "multi_rowgroup.parquet": dict(subjects=3, tasks=["level_walking", "incline_walking",
                                                      "stair_ascent"], cycles=[16, 20],
                                   dtype="float64", compression="snappy", row_group_size=1000,
                                   string_encoding="plain", variables=SMALL_VARS, seed=2),
    "dictionary_strings.parquet": dict(subjects=4, tasks=["level_walking", "decline_walking"],
                                       cycles=6, dtype="float32", string_encoding="dictionary",
                                       row_group_size=ONE_RG, outliers=0, nan_runs=0, seed=3),
    "with_nans.parquet": dict(subjects=3, tasks=["incline_walking", "stair_ascent"], cycles=8,
                              dtype="float32", missing="mixed", nan_runs=10,
                              row_group_size=ONE_RG, outliers=0, seed=4),
    "one_cycle.parquet": dict(subjects=3, tasks=["incline_walking", "decline_walking"], cycles=5,
                              dtype="float32", cycle_overrides=[[0, "incline_walking", 1]],
                              row_group_size=ONE_RG, outliers=0, nan_runs=0, seed=5),
    "many_cycles.parquet": dict(subjects=1, tasks=["run"], cycles=320, dtype="float32",
                                variables=["hip_flexion_angle_ipsi_rad",
                                           "knee_flexion_angle_ipsi_rad",
                                           "knee_flexion_velocity_ipsi_rad_s",
                                           "grf_vertical_ipsi_BW"],
                                outliers=3, nan_runs=0, seed=6),
    "bad_cycle_count.parquet": dict(subjects=3, tasks=["incline_walking", "stair_ascent"],
                                    cycles=4, dtype="float32",
                                    cycle_overrides=[[1, "stair_ascent", 5]],
                                    drop_rows=[[1, "stair_ascent", 1]], row_group_size=ONE_RG,
                                    outliers=0, nan_runs=0, seed=7),
}
for _codec_name in ("zstd", "gzip", "none"):
    FIXTURES[f"tiny_{_codec_name}.parquet"] = dict(FIXTURES["tiny_snappy.parquet"],
                                                   compression=_codec_name)

LEGACY_SOURCE = dict(subjects=2, tasks=["level_walking", "incline_walking"], cycles=4,
                     dtype="float64", row_group_size=ONE_RG, outliers=0, nan_runs=0, seed=8,
                     variables=["hip_flexion_angle_ipsi_rad", "knee_flexion_angle_ipsi_rad",
                                "ankle_dorsiflexion_angle_ipsi_rad", "grf_vertical_ipsi_BW",
                                "knee_flexion_moment_ipsi_Nm_kg"])
LEGACY_RENAMES = {  # standard name -> (legacy name, factor)
    "hip_flexion_angle_ipsi_rad": ("hip_angle_s_r", 180 / math.pi),
    "knee_flexion_angle_ipsi_rad": ("knee_flexion_angle_right_deg", 180 / math.pi),
    "ankle_dorsiflexion_angle_ipsi_rad": ("ankle_flexion_angle_ipsi_rad", 1.0),
    "grf_vertical_ipsi_BW": ("vertical_grf_ipsi_BW", 1.0),
}

# Two datasets to compare (locolens compare, the comparison view), with known differences:
# compare_b holds compare_a's level_walking and run cycles twice (each subject's under two new
# subject IDs), so its pooled mean pattern and its SD with ddof 0 equal compare_a's except where
# changed: knee_flexion_angle_ipsi_rad + 0.1 rad (mean difference and RMSE 0.1, r 1),
# hip_flexion_angle_ipsi_rad x 1.2 (r 1); knee_flexion_moment_ipsi_Nm_kg dropped (a missing
# variable), hip_flexion_angle_contra_rad renamed hip_flexion_angle_left_rad (a non-standard
# name for a standard one); stair_ascent only in compare_a.
COMPARE_SOURCE = dict(subjects=3, tasks=["level_walking", "run", "stair_ascent"], cycles=[4, 6],
                      dtype="float32", row_group_size=1000, outliers=0, nan_runs=0, seed=11,
                      variables=["hip_flexion_angle_ipsi_rad", "hip_flexion_angle_contra_rad",
                                 "knee_flexion_angle_ipsi_rad",
                                 "ankle_dorsiflexion_angle_ipsi_rad",
                                 "knee_flexion_moment_ipsi_Nm_kg", "grf_vertical_ipsi_BW"])
COMPARE_SHIFT = {"knee_flexion_angle_ipsi_rad": 0.1}
COMPARE_SCALE = {"hip_flexion_angle_ipsi_rad": 1.2}
COMPARE_DROP = ["knee_flexion_moment_ipsi_Nm_kg"]
COMPARE_RENAME = {"hip_flexion_angle_contra_rad": "hip_flexion_angle_left_rad"}
COMPARE_B_TASKS = ["level_walking", "run"]

FIXTURE_DESCRIPTIONS = {
    "tiny_snappy.parquet": "3 subjects x 2 tasks x 4 cycles, float32, one row group, snappy",
    "tiny_zstd.parquet": "same data as tiny_snappy, zstd",
    "tiny_gzip.parquet": "same data as tiny_snappy, gzip",
    "tiny_none.parquet": "same data as tiny_snappy, uncompressed",
    "multi_rowgroup.parquet": "3 x 3 tasks x 16-20 cycles, float64, row groups of 1000 rows "
                              "(cycles straddle row groups), plain strings, outliers + nulls",
    "dictionary_strings.parquet": "dictionary-encoded string columns, float32",
    "with_nans.parquet": "missing runs written as nulls in some columns, NaN values in others",
    "one_cycle.parquet": "subject 1 incline_walking has exactly one cycle",
    "many_cycles.parquet": "one subject x one task with 320 cycles, 4 variables, 3 outliers",
    "bad_cycle_count.parquet": "one subject x task has 4*150+149 rows (partial last cycle)",
    "legacy_names.parquet": "legacy names: phase_percent (0..100 inclusive), step_number, "
                            "hip_angle_s_r (deg), knee_flexion_angle_right_deg, "
                            "ankle_flexion_angle_ipsi_rad, vertical_grf_ipsi_BW",
    "no_required_columns.parquet": "valid parquet with numeric columns a, b, c only",
    "random_bytes.parquet": "4096 random bytes (not parquet)",
    "empty.parquet": "0 bytes",
    "truncated.parquet": "first 60 % of the bytes of tiny_snappy.parquet",
    "compare_a.parquet": "3 subjects x level_walking, run, stair_ascent x 4-6 cycles, float32, "
                         "row groups of 1000 rows: the reference of the comparison tests",
    "compare_b.parquet": "compare_a's level_walking and run cycles twice (6 subjects), knee "
                         "flexion + 0.1 rad, hip flexion x 1.2, knee moment dropped, "
                         "hip_flexion_angle_contra_rad named hip_flexion_angle_left_rad",
}


def _write_if_changed(path: str, data: bytes, t0: float, verbose: bool,
                      force: bool) -> Dict[str, Any]:
    if not force and os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                s = {"path": path, "status": "exists", "rows": None, "row_groups": None,
                     "mb": len(data) / 1e6, "seconds": time.perf_counter() - t0}
                if verbose:
                    print(f"exists {path}: {len(data)} bytes")
                return s
    with open(path, "wb") as f:
        f.write(data)
    s = {"path": path, "status": "written", "rows": None, "row_groups": None,
         "mb": len(data) / 1e6, "seconds": time.perf_counter() - t0}
    if verbose:
        print(f"wrote {path}: {len(data)} bytes (not a valid parquet file), "
              f"{s['seconds']:.2f} s")
    return s


def _write_table_if_changed(path: str, table: pa.Table, params: Dict[str, Any], t0: float,
                            verbose: bool, force: bool, **kw: Any) -> Dict[str, Any]:
    if not force and os.path.exists(path) and _existing_params(path) == params:
        s = _summary(path, time.perf_counter() - t0, "exists")
    else:
        md = dict(table.schema.metadata or {})
        md[META_KEY.encode()] = json.dumps(params, sort_keys=True).encode()
        table = table.replace_schema_metadata(md)
        pq.write_table(table, path, **kw)
        s = _summary(path, time.perf_counter() - t0, "written")
    if verbose:
        _print(s)
    return s


def _legacy_table() -> pa.Table:
    o = resolve_options(None, **LEGACY_SOURCE)
    plan = make_plan(o)
    sink = pa.BufferOutputStream()
    write_plan(sink, o, plan)
    t = pq.read_table(pa.BufferReader(sink.getvalue()))
    cols, names = [], []
    for name in t.column_names:
        col = t[name]
        if name == "step":
            name = "step_number"
        elif name == "phase_ipsi":  # older spec grid: index / 149 * 100 (0..100 inclusive)
            idx = np.tile(np.arange(POINTS), t.num_rows // POINTS)
            col = pa.array(idx / (POINTS - 1) * 100.0)
            name = "phase_percent"
        elif name in LEGACY_RENAMES:
            name, f = LEGACY_RENAMES[name]
            if f != 1.0:
                col = pc.multiply(col, f)
        elif name in ("subject_metadata",):
            continue
        cols.append(col)
        names.append(name)
    return pa.table(cols, names=names)


def _comparison_tables() -> Tuple[pa.Table, pa.Table]:
    """compare_a and compare_b (see COMPARE_SOURCE): float32, written by pyarrow."""
    o = resolve_options(None, **COMPARE_SOURCE)
    sink = pa.BufferOutputStream()
    write_plan(sink, o, make_plan(o))
    a = pq.read_table(pa.BufferReader(sink.getvalue()))
    a = a.replace_schema_metadata(None)
    subjects = np.array(a["subject"].to_pylist(), dtype=object)
    tasks = np.array(a["task"].to_pylist(), dtype=object)
    keep = np.isin(tasks, COMPARE_B_TASKS)
    order = list(dict.fromkeys(subjects.tolist()))
    parts = []
    for copy in range(2):
        for i, subject in enumerate(order):
            part = a.filter(pa.array(keep & (subjects == subject)))
            new_id = f"GT23_AB{copy * len(order) + i + 1:02d}"
            part = part.set_column(part.schema.get_field_index("subject"), "subject",
                                   pa.array([new_id] * part.num_rows, pa.string()))
            parts.append(part)
    b = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    cols, names = [], []
    for name in b.column_names:
        col = b[name]
        if name in COMPARE_DROP:
            continue
        if name in COMPARE_SHIFT:
            col = pc.cast(pc.add(pc.cast(col, pa.float64()), COMPARE_SHIFT[name]), pa.float32())
        if name in COMPARE_SCALE:
            col = pc.cast(pc.multiply(pc.cast(col, pa.float64()), COMPARE_SCALE[name]), pa.float32())
        cols.append(col)
        names.append(COMPARE_RENAME.get(name, name))
    return a, pa.table(cols, names=names)


def write_fixtures(out_dir: str, *, force: bool = False, verbose: bool = True) -> Dict[str, Any]:
    """Write the test fixtures and manifest.json into ``out_dir``; returns the manifest."""
    os.makedirs(out_dir, exist_ok=True)
    summaries = []
    for name, opts in FIXTURES.items():
        summaries.append(generate(os.path.join(out_dir, name), force=force, verbose=verbose,
                                  **opts))
    # Legacy names.
    t0 = time.perf_counter()
    params = {"generator": GENERATOR_NAME, "version": GENERATOR_VERSION, "fixture": "legacy",
              "source": source_hash(), "options": resolve_options(None, **LEGACY_SOURCE)}
    params = json.loads(json.dumps(params, sort_keys=True))
    summaries.append(_write_table_if_changed(
        os.path.join(out_dir, "legacy_names.parquet"), _legacy_table(), params, t0,
        verbose, force, compression="snappy"))
    # Two datasets with known differences, for the comparison.
    t0 = time.perf_counter()
    compare_a, compare_b = _comparison_tables()
    for name, table in (("compare_a", compare_a), ("compare_b", compare_b)):
        params = {"generator": GENERATOR_NAME, "version": GENERATOR_VERSION, "fixture": name,
                  "source": source_hash(), "options": resolve_options(None, **COMPARE_SOURCE)}
        params = json.loads(json.dumps(params, sort_keys=True))
        summaries.append(_write_table_if_changed(
            os.path.join(out_dir, f"{name}.parquet"), table, params, t0, verbose, force,
            compression="snappy", row_group_size=1000))
    # No required columns.
    t0 = time.perf_counter()
    rng = np.random.default_rng(9)
    t = pa.table({"a": rng.standard_normal(1000), "b": rng.integers(0, 100, 1000),
                  "c": rng.random(1000).astype(np.float32)})
    params = {"generator": GENERATOR_NAME, "version": GENERATOR_VERSION,
              "fixture": "no_required_columns", "source": source_hash(), "seed": 9}
    summaries.append(_write_table_if_changed(
        os.path.join(out_dir, "no_required_columns.parquet"), t, params, t0, verbose, force))
    # Broken files.
    t0 = time.perf_counter()
    data = np.random.default_rng(10).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    summaries.append(_write_if_changed(os.path.join(out_dir, "random_bytes.parquet"), data, t0,
                                       verbose, force))
    t0 = time.perf_counter()
    summaries.append(_write_if_changed(os.path.join(out_dir, "empty.parquet"), b"", t0,
                                       verbose, force))
    t0 = time.perf_counter()
    with open(os.path.join(out_dir, "tiny_snappy.parquet"), "rb") as f:
        full = f.read()
    summaries.append(_write_if_changed(os.path.join(out_dir, "truncated.parquet"),
                                       full[:int(len(full) * 0.6)], t0, verbose, force))
    manifest = build_manifest(out_dir)
    mpath = os.path.join(out_dir, "manifest.json")
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if verbose:
        print(f"wrote {mpath}: {len(manifest['files'])} entries")
    return manifest


# ----------------------------------------------------------------------------
# Describing a written file (manifest)
# ----------------------------------------------------------------------------

PHASE_COLUMNS = ("phase_ipsi", "phase_percent", "phase")
NON_VARIABLE_COLUMNS = set(METADATA_COLUMNS) | set(PHASE_COLUMNS) | {"step_number", "cycle_id",
                                                                      "phase_contra"}


def describe_parquet(path: str) -> Dict[str, Any]:
    """Shape of a parquet file, computed from the file itself with pyarrow."""
    pf = pq.ParquetFile(path)
    md = pf.metadata
    codecs = set()
    encodings: Dict[str, List[str]] = {}
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        for j in range(rg.num_columns):
            cc = rg.column(j)
            codecs.add(cc.compression)
            if i == 0:
                encodings[cc.path_in_schema] = sorted(cc.encodings)
    table = pf.read()
    kv = {k.decode(): v.decode() for k, v in (md.metadata or {}).items()
          if not k.startswith(b"ARROW:")}
    d: Dict[str, Any] = {
        "valid_parquet": True,
        "size_bytes": os.path.getsize(path),
        "rows": md.num_rows,
        "row_groups": md.num_row_groups,
        "row_group_rows": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
        "compression": sorted(codecs),
        "columns": table.column_names,
        "dtypes": {f.name: str(f.type) for f in table.schema},
        "encodings": encodings,
    }
    names = table.column_names
    d["variables"] = [c for c in names if c not in NON_VARIABLE_COLUMNS
                      and c not in STRING_COLUMNS]
    d["null_counts"] = {c: table[c].null_count for c in names if table[c].null_count}
    nan_counts = {}
    for c in names:
        if pa.types.is_floating(table.schema.field(c).type):
            n = pc.sum(pc.is_nan(table[c])).as_py() or 0
            if n:
                nan_counts[c] = n
    d["nan_counts"] = nan_counts
    phase_col = next((c for c in PHASE_COLUMNS if c in names), None)
    d["phase_column"] = phase_col
    if phase_col and table.num_rows >= POINTS:
        first = table[phase_col].slice(0, POINTS).to_numpy()
        if np.array_equal(first, PHASE):
            d["phase_grid"] = "i*100/150"
        elif np.allclose(first, np.arange(POINTS) / (POINTS - 1) * 100):
            d["phase_grid"] = "i*100/149"
        else:
            d["phase_grid"] = "other"
    if "subject" in names and "task" in names:
        subj = table["subject"].to_numpy(zero_copy_only=False)
        task = table["task"].to_numpy(zero_copy_only=False)
        tid = (table["task_id"].to_numpy(zero_copy_only=False) if "task_id" in names
               else np.full(len(subj), None))
        change = np.flatnonzero((subj[1:] != subj[:-1]) | (task[1:] != task[:-1])) + 1
        starts = np.concatenate([[0], change]).astype(int)
        ends = np.concatenate([change, [len(subj)]]).astype(int)
        blocks = []
        seen = set()
        contiguous = True
        for a, b in zip(starts, ends):
            key = (subj[a], task[a])
            if key in seen:
                contiguous = False
            seen.add(key)
            ids = list(dict.fromkeys(tid[a:b].tolist()))
            blocks.append({"subject": subj[a], "task": task[a], "task_ids": ids,
                           "row_start": int(a), "rows": int(b - a),
                           "cycles": int((b - a) // POINTS) if (b - a) % POINTS == 0 else None})
        d["blocks"] = blocks
        d["blocks_contiguous"] = contiguous
        d["subjects"] = sorted(set(subj.tolist()))
        d["tasks"] = sorted(set(task.tolist()))
        task_ids: Dict[str, List[str]] = {}
        for blk in blocks:
            task_ids.setdefault(blk["task"], [])
            for i in blk["task_ids"]:
                if i is not None and i not in task_ids[blk["task"]]:
                    task_ids[blk["task"]].append(i)
        d["task_ids"] = {k: sorted(v) for k, v in sorted(task_ids.items())}
        cycles: Dict[str, Dict[str, Optional[int]]] = {}
        for blk in blocks:
            cycles.setdefault(blk["subject"], {})[blk["task"]] = blk["cycles"]
        d["cycles"] = cycles
    if META_KEY in kv:
        d["generator"] = json.loads(kv[META_KEY])
    if INJECTED_KEY in kv:
        d["injected"] = json.loads(kv[INJECTED_KEY])
    return d


def build_manifest(out_dir: str) -> Dict[str, Any]:
    files: Dict[str, Any] = {}
    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".parquet"):
            continue
        path = os.path.join(out_dir, name)
        try:
            entry = describe_parquet(path)
        except Exception as e:  # broken fixtures
            entry = {"valid_parquet": False, "size_bytes": os.path.getsize(path),
                     "error": f"{type(e).__name__}: {e}"}
        entry["description"] = FIXTURE_DESCRIPTIONS.get(name, "")
        files[name] = entry
    return {"generator": GENERATOR_NAME, "version": GENERATOR_VERSION, "points_per_cycle": POINTS,
            "files": files}


# ----------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------

def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate synthetic LocoHub-standard phase-indexed parquet files.")
    ap.add_argument("--preset", choices=["demo", "bench", "large", "locohub", "fixtures"],
                    help="demo: ~100 MB float64 snappy; bench: ~1.5 GB float32 zstd "
                         "(streamed); fixtures: small test files + manifest.json into --out DIR")
    ap.add_argument("--out", default=None,
                    help="output file (*.parquet) or directory (default: data/, "
                         "data/fixtures for --preset fixtures)")
    ap.add_argument("--subjects", type=int)
    ap.add_argument("--cycles", help="cycles per subject x task: N or MIN,MAX (drawn per subject "
                    "x task; split evenly over the task's task_ids, e.g. level_walking's two "
                    "speeds)")
    ap.add_argument("--tasks", help=f"comma list of: {','.join(ALL_TASKS)}")
    ap.add_argument("--variables", help="comma list of variables (default: all)")
    ap.add_argument("--dtype", choices=["float32", "float64"])
    ap.add_argument("--compression", choices=["snappy", "zstd", "gzip", "none"])
    ap.add_argument("--row-group-size", type=int,
                    help="rows per row group (default: ~8 row groups, never a multiple of 150)")
    ap.add_argument("--string-encoding", choices=["dictionary", "plain"])
    ap.add_argument("--seed", type=int)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--nan-as-null", dest="missing", action="store_const", const="null",
                   help="write missing samples as parquet nulls (default)")
    g.add_argument("--nan-as-value", dest="missing", action="store_const", const="nan",
                   help="write missing samples as NaN values")
    ap.add_argument("--target-mb", type=float, help="choose cycles to reach about N MB")
    ap.add_argument("--outliers", type=int, help="number of outlier cycles (default: auto)")
    ap.add_argument("--nan-runs", type=int, help="number of missing runs (default: auto)")
    ap.add_argument("--page-checksum", action="store_true", default=None,
                    help="write a CRC32 checksum in every page header (pyarrow's write_page_checksum)")
    ap.add_argument("--data-page-size", type=int, help="bytes per data page (default: pyarrow's 1 MB)")
    ap.add_argument("--force", action="store_true", help="rewrite even if up to date")
    a = ap.parse_args(argv)
    if a.preset == "fixtures":
        write_fixtures(a.out or os.path.join("data", "fixtures"), force=a.force)
        return 0
    generate(a.out or "data", preset=a.preset, force=a.force, subjects=a.subjects,
             cycles=a.cycles, tasks=a.tasks, variables=a.variables, dtype=a.dtype,
             compression=a.compression, row_group_size=a.row_group_size,
             string_encoding=a.string_encoding, seed=a.seed, missing=a.missing,
             target_mb=a.target_mb, outliers=a.outliers, nan_runs=a.nan_runs,
             page_checksum=a.page_checksum, data_page_size=a.data_page_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
