"""Rules that turn findings into drill suggestions, each with the finding that
triggered it, why, the evidence grade and a dosage.

Evidence grades (plain words): "supported by trials" — randomised or controlled
trials show the effect named; "limited" — association or short trials; "coaching
convention" — no trial, common practice [M]. Dosages beyond the cited trials are
coaching convention. Sources: HipDrive reference notes (shared/reference).
"""

from __future__ import annotations

from gait.reference import FAR_LEG_LOW_TEXT, LIKELY_DEG, NOISE_DEG, noise_band_deg
from gait.summary import Drill


def _num(value) -> float | None:
    return None if value is None else float(value)


def suggest_drills(*, near_medians: dict, reference_values: dict, cadence_spm: float | None,
                   thigh_extension_asymmetry_deg: float | None) -> list[Drill]:
    """Drills for a runner's near-leg medians against the speed-matched reference.
    `thigh_extension_asymmetry_deg`: left − right with the far leg's low reading allowed
    for (`gait.reference.far_leg_allowed_deg`)."""
    drills: list[Drill] = []
    ext = _num(near_medians.get("peak_thigh_extension_deg"))
    ref_ext = reference_values.get("peak_thigh_extension_deg")
    if (ext is not None and ref_ext is not None
            and ext < ref_ext - noise_band_deg("peak_thigh_extension_deg", ext - ref_ext)):
        finding = (f"Peak thigh extension {ext:.0f}° vs {ref_ext:.0f}° in the speed-matched "
                   "reference: the thigh drives back less than in experienced runners, by more "
                   "than the pose model's known under-reading of extension.")
        drills.append(Drill(
            "hip_flexor_stretch", "Half-kneeling hip-flexor stretch with posterior pelvic tilt",
            finding,
            "Raises passive hip extension range, which limits how far the thigh can drive back.",
            "Raises passive range (Godges 1993, Winters 2004); did not change running "
            "kinematics within 3 weeks on its own (Mettler 2019).",
            "limited", "2–3 × 30 s per side, daily; add an active version (squeeze the glute, "
            "reach the arm up) [M]"))
        drills.append(Drill(
            "range_in_movement", "Walking lunge with reach, split-stance holds, single-leg RDL, "
            "step-ups", finding,
            "Range has to be trained in movement to show up in running.",
            "Moreside & McGill 2013: range gains carry into movement only when trained in it.",
            "limited", "2–3 × 8–10 per side, 2–3 times a week [M]"))
    flex = _num(near_medians.get("peak_thigh_flexion_deg"))
    ref_flex = reference_values.get("peak_thigh_flexion_deg")
    if flex is not None and ref_flex is not None and flex < ref_flex - NOISE_DEG:
        drills.append(Drill(
            "a_skip", "A-skip and wall drill / march",
            f"Peak thigh flexion {flex:.0f}° vs {ref_flex:.0f}° in the reference: little "
            "knee drive in front of the body.",
            "Practises a quick leg recovery and knee drive.",
            "Coordination practice; its kinematics differ from running (Kivi thesis).",
            "coaching convention", "2–3 × 20 m before a session [M]"))
    shank = _num(near_medians.get("shank_at_strike_deg"))
    ref_cad = reference_values.get("cadence_spm")
    low_cadence = (cadence_spm is not None and ref_cad is not None
                   and cadence_spm < 0.95 * ref_cad)
    if (shank is not None and shank > 9.0) or low_cadence:
        parts = []
        if shank is not None and shank > 9.0:
            parts.append(f"shank {shank:.0f}° ahead of vertical at touchdown (experienced "
                         "runners ~2–9°): the foot lands ahead of the knee (overstride)")
        if low_cadence:
            parts.append(f"cadence {cadence_spm:.0f} steps/min vs {ref_cad:.0f} in the "
                         "speed-matched reference")
        drills.append(Drill(
            "cadence_plus", "Cadence +5–10 % with a metronome, plus relaxed strides",
            "; ".join(parts).capitalize() + ".",
            "A slightly higher step rate lands the foot closer under the hips and reduces "
            "braking.",
            "Less braking and centre-of-mass excursion (Heiderscheit 2011); +5 steps/min ≈ "
            "landing 6 % closer to the hip (Lieberman 2015).",
            "supported by trials", "Easy runs at +5 % cadence; strides 6–10 × 15–20 s [M]"))
        drills.append(Drill(
            "b_skip", "B-skip", "Landing ahead of the body (see cadence).",
            "Practises pulling the foot back under the hips before touchdown.",
            "B-skip quality is associated with sprint time (2025; association only).",
            "limited", "2–3 × 20 m [M]"))
    if (thigh_extension_asymmetry_deg is not None
            and abs(thigh_extension_asymmetry_deg) > LIKELY_DEG):
        weaker = "left" if thigh_extension_asymmetry_deg < 0 else "right"
        drills.append(Drill(
            "single_leg_strength", f"Single-leg work on the {weaker} side (split squat, "
            "single-leg RDL)",
            "Peak thigh extension differs between legs by "
            f"{abs(thigh_extension_asymmetry_deg):.0f}° once the far leg's {FAR_LEG_LOW_TEXT} "
            f"low reading is allowed for (> {LIKELY_DEG:g}°, likely real; far-leg values are "
            "less certain).",
            "A side-to-side difference this large is worth checking with a coach or physio.",
            "No trial links 2D thigh-angle asymmetry to a drill; coaching convention.",
            "coaching convention", "2–3 × 8 per side, 2 times a week [M]"))
    drills.append(Drill(
        "no_glute_activation", "No pre-run glute activation needed: a general running warm-up",
        "Runners are often told their glutes are 'not firing'.",
        "Hip drive in running is about how the thigh moves, not about switching muscles on "
        "before a run.",
        "No running study supports pre-run glute activation (Crow 2012, Parr 2017, "
        "Harrison & McCabe 2017).",
        "supported by trials", "5–10 min easy running and a few strides"))
    return drills
