"""AVisT (Noman et al., BMVC 2022): 120 test sequences of tracking in adverse visibility.

Layout under the root (as released, and as pytracking's ``avistdataset.py`` reads it):
``anno/<seq>.txt`` (``x,y,w,h`` per frame), ``full_occlusion/<seq>_full_occlusion.txt`` and
``out_of_view/<seq>_out_of_view.txt`` (one 0/1 per frame, comma separated), frames
``sequences/<seq>/img_00001.jpg`` (1-based, 5 digits, one per annotated frame). The target is visible
where it is neither fully occluded nor out of view; the flags keep the benchmark's names
(``full_occlusion``, ``out_of_view``, as LaSOT's) and add pytracking's ``target_visible``.

The sequence list is the official one; the sequences of it found under ``anno/`` are read, in its order
(a partial copy opens as the sequences it holds; other files there are ignored). Both flag files are required:
pytracking's loader reads them for every sequence, and scoring without them would count frames the
benchmark excludes. ``annotations=DIR`` reads the same annotation folders without frames.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.core.benchmark import Benchmark
from bench.core.errors import ConfigError, DataError
from bench.core.io import load_boxes
from datasets.base import Dataset, EmptyFrames, PathListFrames, Sequence, load_frame_flags
from datasets.registry import register_dataset

#: AVisT's 5 attribute categories, short and long names in the order of ``att_name_short`` /
#: ``att_name_long`` of pytracking's ``evaluation/dataset_attribute_specs/avist_attributes.json`` (visionml @7eb9e74).
ATTRIBUTES = (("WC", "Weather Conditions"), ("OE", "Obstruction Effects"), ("IE", "Imaging Effects"),
              ("TE", "Target Effects"), ("CM", "Camouflage"))

# The 120 sequences in the order of pytracking's AVisTDataset._get_sequence_list (visionml @7eb9e74),
# each with its attribute categories from avist_attributes.json (listed there with repeats; a set here).
_SEQUENCES = """
Phasmid_insect_camouflage CM
air_show OE,TE
airplane_in_rain WC
airplane_in_sandstorm WC
airplane_in_smoke OE
ambulance_in_night_1 IE
ambulance_in_night_2 IE
animal_in_desert CM
animal_in_wildfire OE
archival_video_man IE,TE
archival_video_rollercoster OE,IE
armyman_camouflage CM
badminton_net_in_heavy_storm WC
ball_fast_shot TE
balloon_fight TE
balloon_man TE
bear_in_snow WC
bench_in_hailstorm WC
beyblade_competition TE
bicycle_in_glaring_sun OE
black_car_in_sand_storm WC
black_cat_1 OE,CM
blue_bus_in_heavy_rain WC
boat_in_sea_storm OE
boats_race OE,TE
boy_in_swimming_pool OE
bulldozer_in_snow WC
burj_khalifa_show IE
butterfly_dance OE,IE
caemoflaging_octopus CM
car_haze_storm WC
car_in_desert OE,TE
car_in_fire_smoke OE,IE,TE
car_in_fog_shaking_cam WC,TE
car_in_hurricane WC,OE
car_in_hurricane_2 WC
car_in_hurricane_3 WC,OE
car_in_smoke OE
car_in_smoke_night OE,IE
cattle_heavy_rain WC
copperhead_snake CM
crazy_skiing WC,TE
cycling_snow_low_visibility WC
deer_in_fog WC,TE
ducklings_stairs OE,TE
elephant_in_sand OE
fast_football_in_haze TE
firefighters_in_heavy_smoke OE
fish_in_sea OE,TE
fish_in_sea_2 OE,TE
flag_heavy_fog_snow WC
flatfish_0 CM
flatfish_1 CM
flatfish_4 CM
flight_black_and_white_footage IE
flounder_6 CM
flounder_9 CM
flying_bees_1 TE
flying_bees_2 TE
girl_in_hula_hoop OE
grasshopper_0 CM
helicopter_in_dust_storm WC
helicopter_in_hurricane WC
helicoptor_in_firesmoke OE
helicoptor_in_tornado WC
jaguars_fighting OE,TE
kids_on_swings OE,TE
kite_flying_fog WC
lady_dancing_in_fog OE,IE
lichen_katydid CM
man_in_heavy_blizzard WC
man_in_hula_hoop_night OE,IE
man_in_sandstorm WC,IE
man_in_whirlpool OE
monkey_fight OE,TE
monkey_on_tree OE
motorcycle2_in_heavy_rain WC,IE
motorcycle_in_sandstorm WC,TE
peacock_dance TE
penguin_in_fog WC,IE
person_in_sea_rage OE
person_walking_in_snow_1 WC,OE
plaice CM
plane_landing_heavy_fog WC
polar_bear WC,CM
polar_bear_3 OE,CM
pygmy_seahorse_1 CM
pygmy_seahorse_2 CM
rally_in_smoke_night OE,IE
rusty_spotted_cat_1 OE,CM
sailing_thunderstorm WC
scorpion_camouflage CM
seagulls_flying OE,TE
ship_heavy_fog WC,OE
ship_in_sea_storm OE
ship_in_thunderstorm_sea OE
skateboard_in_rain WC
skydiving_1 TE
small_cricket_ball_fast TE
smallfish CM
snow_leopard_2 CM
spider_camouflage CM
spider_camouflage_2 CM
stick_insect_0 CM
stick_insect_1 CM
stonefish CM
surfer_in_bioluminescent_sea OE,IE
surfer_in_storm_1 OE
surfer_in_storm_2 OE
surfing_in_fog_3 WC,OE
swimming_competition_old_footage OE,IE
train_in_dense_fog WC
umbrella_in_heavy_storm WC
underwater_nuclear_burst OE
vehichle_in_sun_glare OE
vehicle_in_fire OE
water_splashing OE
white_signboard_in_storm WC
windmill_in_tornado WC,IE
zebra_in_water OE,TE
"""
#: sequence name -> its attribute codes (in the order of ATTRIBUTES)
AVIST_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    name: tuple(codes.split(",")) for name, codes in (line.split() for line in _SEQUENCES.strip().splitlines())}
#: the 120 test sequences, in the official order
AVIST_TEST: tuple[str, ...] = tuple(AVIST_ATTRIBUTES)

AVIST_BENCHMARK = Benchmark(
    name="avist", display_name="AVisT",
    # pytracking's AVisTDataset builds its sequences with dataset string 'avist' and passes target_visible
    # (evaluation/avistdataset.py _construct_sequence)
    toolkit_mode="avist",
    # AVisT's evaluation (notebooks/analyze_avist_results.ipynb: plot_results/print_results with
    # exclude_invalid_frames=False) came with visionml commit da789d1, the same commit that made frames
    # with x <= 0 or y <= 0 invalid in extract_results.calc_seq_err_robust: the upstream analysis.
    default_protocol="pytracking-visionml",
    description="AVisT: 120 test sequences in adverse visibility (weather, obstruction, imaging, camouflage)",
    attributes=ATTRIBUTES, attribute_family="avist")

_FLAGS = ("full_occlusion", "out_of_view")


class AVisTDataset(Dataset):
    name = "avist"

    def __init__(self, root: Path | None = None, split: str | None = None, annotations: Path | None = None):
        if split not in (None, "test"):
            raise ConfigError(f"{self.name}: unknown split {split!r}; valid splits: test")
        self.base = Path(annotations or root) if (annotations or root) else None
        self.with_frames = annotations is None
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            anno = self.base / "anno" if self.base is not None else None
            if anno is None or not anno.is_dir():
                raise DataError(f"{anno}: AVisT annotation folder not found (expected <root>/anno/<seq>.txt)")
            on_disk = set(os.listdir(anno))
            self._names = [n for n in AVIST_TEST if f"{n}.txt" in on_disk]
            if not self._names:
                raise DataError(f"{anno}: none of the 120 AVisT sequences found (expected e.g. {AVIST_TEST[0]}.txt)")
        return self._names

    def load(self, name: str) -> Sequence:
        if name not in AVIST_ATTRIBUTES:
            raise DataError(f"{self.name}: {name!r} is not an AVisT sequence")
        gt_path = str(self.base / "anno" / f"{name}.txt")
        gt = load_boxes(gt_path)
        n = len(gt)
        if n == 0:
            raise DataError(f"{gt_path}: no boxes (empty annotation file)")
        problems: list[str] = []   # a flag file of another length: fitted, and listed by `bench datasets check`
        flags = {k: load_frame_flags(self.base / k / f"{name}_{k}.txt", n, problems) for k in _FLAGS}
        # pytracking's AVisTDataset hands the analysis target_visible = no full occlusion and not out of view;
        # the protocols apply visibility to sequences that carry it (bench.metrics.engine.visible_flags)
        flags["target_visible"] = ((flags["full_occlusion"] == 0) & (flags["out_of_view"] == 0)).astype(np.int64)
        if self.with_frames:
            d = os.fspath(self.base / "sequences" / name)
            frames = PathListFrames([os.path.join(d, f"img_{i:05d}.jpg") for i in range(1, n + 1)])
        else:
            frames = EmptyFrames(n, name)
        return Sequence(name=name, frames=frames, ground_truth=gt, flags=flags, dataset=self.name,
                        attributes={"avist": list(AVIST_ATTRIBUTES[name])},
                        extra={"problems": problems, "annotation": gt_path}, gt_path=gt_path)


@register_dataset("avist", benchmark=AVIST_BENCHMARK, needs_root=True, splits=["test"])
def _avist(root=None, split=None, annotations=None, **kw) -> Dataset:
    return AVisTDataset(root, split, annotations)
