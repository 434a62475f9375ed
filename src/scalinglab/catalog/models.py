"""Reference models: published sizes, training tokens and compute of well-known LLMs.

Every figure carries its source. Tags follow ``shared/reference/published-figures.md``:
**[P]** checked against a primary artefact (including Epoch AI's database, whose notes quote the
paper), **[S]** independent secondary transcriptions agree, **[U]** not verified, **[D]** derived
by us. Epoch's DB is ``epoch-ai-models/epoch_all_ml_systems_full_view.csv``; its "dataset size"
column is often in *words* (0.75 words/token), and ``tests/catalog/test_models.py`` converts it
back when it checks these rows against the DB.

``n_params`` is the total parameter count *as reported* (embeddings included, rounded the way the
authors round it: "70B"), so ``6·N·D`` here is the headline estimate, not an exact FLOP count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .._validate import name_key
from ..errors import ConfigError
from ..flops import training_flops as _training_flops

__all__ = ["ReferenceModel", "REFERENCE_MODELS", "get_model", "list_models"]


@dataclass(frozen=True)
class ReferenceModel:
    """One published language model and how it was trained.

    Parameters
    ----------
    name, organization, year
        How the model is usually called, who trained it, year of release.
    n_params : float
        Total parameters as reported.
    n_tokens : float
        Pre-training tokens (tokens seen, repeats included).
    flops : float or None
        Training compute as reported by the authors (or taken from Epoch's DB where it quotes them);
        ``None`` when only an estimate such as ``6·N·D`` or GPU-hours × peak × MFU exists.
    source : str
        Citation: "Authors year, paper or model card; where in it each figure is, with its tag". The
        part before the first comma ("Hoffmann et al. 2022") is the short form shown in tables.
    notes : str
        Caveats (how a figure was derived, what it does not count).
    aliases : tuple of str
        Other names :func:`get_model` accepts (e.g. Epoch's row name).
    """

    name: str
    organization: str
    year: int
    n_params: float
    n_tokens: float
    flops: float | None
    source: str
    notes: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("n_params", "n_tokens"):
            value = getattr(self, field_name)
            if not value > 0:
                raise ConfigError(f"The {field_name!r} parameter must be > 0. Got {value!r}.")
        if self.flops is not None and not self.flops > 0:
            raise ConfigError(f"The 'flops' parameter must be > 0 or None. Got {self.flops!r}.")

    @property
    def tokens_per_param(self) -> float:
        """``D / N``; Chinchilla-style compute-optimal training is ~20."""
        return self.n_tokens / self.n_params

    @property
    def flops_6nd(self) -> float:
        """``6·N·D`` (Kaplan et al. 2020 §2.1): the estimate every law in the catalog assumes."""
        return float(_training_flops(self.n_params, self.n_tokens))

    @property
    def training_flops(self) -> float:
        """Reported training compute when known, else ``6·N·D``."""
        return self.flops if self.flops is not None else self.flops_6nd

    @property
    def short_source(self) -> str:
        """Authors and year only: the text of :attr:`source` before the first comma."""
        return self.source.split(",", 1)[0].strip()

    def as_dict(self) -> dict[str, Any]:
        """Fields and derived quantities as plain data (for JSON)."""
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d.update(tokens_per_param=self.tokens_per_param, flops_6nd=self.flops_6nd,
                 training_flops=self.training_flops)
        return d


# fmt: off
REFERENCE_MODELS: tuple[ReferenceModel, ...] = (
    ReferenceModel(
        "GPT-3", "OpenAI", 2020, 175e9, 300e9, 3.14e23,
        "Brown et al. 2020, arXiv:2005.14165; 175B params and 300B training tokens (§2.2) [S]; compute "
        "3.14e23 from Table D.1, as listed in Epoch's DB row 'GPT-3 175B (davinci)' [P: Epoch DB]",
        "Not in published-figures.md. Epoch's DB lists 374B words x 0.6 epochs = 300B tokens at "
        "0.75 words/token [D]. 6ND = 3.15e23 [D].",
        aliases=("GPT-3 175B", "GPT-3 175B (davinci)", "davinci"),
    ),
    # Rae et al. 2021 / published-figures §1.
    ReferenceModel(
        "Gopher", "DeepMind", 2021, 280e9, 300e9, 6.31e23,
        "Rae et al. 2021, arXiv:2112.11446; 280B params, 300B tokens [S]; compute 6.31e23 from "
        "Table A26, via Epoch's DB notes [P]",
        "6ND = 5.04e23 [D]; Chinchilla was trained with the same budget.",
        aliases=("Gopher 280B", "Gopher (280B)"),
    ),
    # Hoffmann et al. 2022 / published-figures §1.
    ReferenceModel(
        "Chinchilla", "DeepMind", 2022, 70e9, 1.4e12, 5.76e23,
        "Hoffmann et al. 2022, arXiv:2203.15556; 70B params, 1.4T tokens (Table 1) [S]; compute "
        "5.76e23 as listed in Epoch's DB, taken from Table 3's Gopher-budget row [P: Epoch DB]",
        "6ND = 5.88e23 [D], the value Porian et al. use as CHINCHILLA_FLOPS.",
        aliases=("Chinchilla 70B",),
    ),
    ReferenceModel(
        "PaLM 540B", "Google", 2022, 540.35e9, 780e9, None,
        "Chowdhery et al. 2022, arXiv:2204.02311; 540.35B params and a 780B-token corpus, one epoch, "
        "as in Epoch's DB row 'PaLM (540B)' [P: Epoch DB]",
        "Not in published-figures.md. Epoch's 2.53e24 FLOP is their estimate from TPU-hours (Table 20) "
        "at 46.2% MFU, so flops is left unset; 6ND = 2.53e24 [D].",
        aliases=("PaLM", "PaLM (540B)"),
    ),
    ReferenceModel(
        "OPT-175B", "Meta AI", 2022, 175e9, 300e9, 4.30e23,
        "Zhang et al. 2022, arXiv:2205.01068; 300B tokens and ~4.30e23 FLOPs stated in metaseq's "
        "projects/OPT/chronicles/final_update.md, quoted in Epoch's DB notes [P: Epoch DB]",
        "Not in published-figures.md. Epoch lists 180B tokens x 1.67 epochs. 6ND = 3.15e23 [D]; the "
        "stated figure is higher (restarts, recomputation).",
    ),
    ReferenceModel(
        "LLaMA 65B", "Meta AI", 2023, 65.2e9, 1.4e12, None,
        "Touvron et al. 2023, arXiv:2302.13971; 65.2B params (model card Table 1) and 1.4T tokens, per "
        "Epoch's DB row 'LLaMA-65B' [P: Epoch DB]",
        "Not in published-figures.md. Epoch's 5.5e23 is 6ND, not a reported figure.",
        aliases=("LLaMA-65B", "LLaMA 1 65B"),
    ),
    # Llama 2: Table 1 of the paper gives 2.0T tokens for every size; Epoch's DB quotes it for 7B and
    # 70B [P: Epoch DB]; the 13B row is in the same table but not in Epoch's DB [U]. The paper gives
    # GPU-hours (3.3M A100-h in all), not FLOPs, so flops stays None.
    ReferenceModel(
        "Llama 2 7B", "Meta AI", 2023, 7e9, 2e12, None,
        "Touvron et al. 2023, arXiv:2307.09288; 2T tokens, Table 1 [P: Epoch DB notes]",
        "184,320 A100-hours reported; Epoch's 8.4e22 is 6ND.",
        aliases=("Llama-2-7B", "Llama 2-7B"),
    ),
    ReferenceModel(
        "Llama 2 13B", "Meta AI", 2023, 13e9, 2e12, None,
        "Touvron et al. 2023, arXiv:2307.09288; 2T tokens, Table 1 [U: row not in Epoch's DB, same "
        "table as the 7B/70B rows]",
        "Not in Epoch's DB snapshot.",
        aliases=("Llama-2-13B", "Llama 2-13B"),
    ),
    ReferenceModel(
        "Llama 2 70B", "Meta AI", 2023, 70e9, 2e12, None,
        "Touvron et al. 2023, arXiv:2307.09288; 2T tokens, Table 1 [P: Epoch DB notes]",
        "1,720,320 A100-hours reported; Epoch's 8.1e23 is their estimate (GPU-hours x 40% MFU).",
        aliases=("Llama-2-70B", "Llama 2-70B"),
    ),
    ReferenceModel(
        "Falcon-180B", "Technology Innovation Institute", 2023, 180e9, 3.5e12, 3.76e24,
        "Almazrouei et al. 2023, arXiv:2311.16867; 180B params, 3.5T tokens, 43,500 PF-days (Table 1) "
        "= 3.76e24 FLOP, per Epoch's DB notes [P: Epoch DB]",
        "Not in published-figures.md. 6ND = 3.78e24 [D].",
        aliases=("Falcon 180B",),
    ),
    # DeepSeek LLM / published-figures §7: both sizes on 2T tokens [S]. The paper's model scale M is
    # non-embedding FLOPs/token, not 6N, so its own frontier is not directly comparable with 6ND.
    ReferenceModel(
        "DeepSeek LLM 7B", "DeepSeek", 2024, 7e9, 2e12, None,
        "Bi et al. 2024, arXiv:2401.02954; 7B (30 layers, d_model 4096), 2T tokens [S]",
        "Not in Epoch's DB snapshot.",
        aliases=("DeepSeek-LLM-7B",),
    ),
    ReferenceModel(
        "DeepSeek LLM 67B", "DeepSeek", 2024, 67e9, 2e12, None,
        "Bi et al. 2024, arXiv:2401.02954; 67B (95 layers, d_model 8192, GQA), 2T tokens [S; P: Epoch DB]",
        "Epoch's 8.04e23 is 6ND.",
        aliases=("DeepSeek-LLM-67B",),
    ),
    # Llama 3 / published-figures §8: "over 15T tokens" [S x3].
    ReferenceModel(
        "Llama 3 8B", "Meta AI", 2024, 8e9, 15e12, None,
        "Meta 2024, blog 'Introducing Meta Llama 3' (18 Apr 2024); over 15T tokens [S]",
        "'Over 15T' taken as 15T; ~1,875 tokens/param [D]. Not in Epoch's DB snapshot.",
        aliases=("Llama-3-8B", "Llama 3-8B", "Meta-Llama-3-8B"),
    ),
    ReferenceModel(
        "Llama 3 70B", "Meta AI", 2024, 70e9, 15e12, None,
        "Meta 2024, blog 'Introducing Meta Llama 3' (18 Apr 2024); over 15T tokens "
        "[S; P: Epoch DB lists 15e12]",
        "Epoch's 7.86e24 is their estimate (geometric mean of 6ND = 6.3e24 and 6.4M H100-h x 43% MFU), "
        "so flops is left unset.",
        aliases=("Llama-3-70B", "Llama 3-70B", "Meta-Llama-3-70B"),
    ),
    ReferenceModel(
        "Llama 3.1 405B", "Meta AI", 2024, 405e9, 15.6e12, 3.8e25,
        "Llama Team 2024, 'The Llama 3 Herd of Models', arXiv:2407.21783; 405B, 15.6T tokens, 3.8e25 "
        "FLOP stated in the paper, quoted in Epoch's DB notes [P: Epoch DB]",
        "3.8e25 = 6ND rounded; ~38.5 tokens/param [D]; up to 16K H100s at 38-43% MFU.",
        aliases=("Llama-3.1-405B", "Llama 3.1-405B"),
    ),
    # SmolLM3 / published-figures §8 [S x4].
    ReferenceModel(
        "SmolLM3", "Hugging Face", 2025, 3.08e9, 11.2e12, None,
        "Hugging Face 2025, SmolLM3 blog post and model card (8 Jul 2025); 3.08B params, 11.2T "
        "pre-training tokens [S]",
        "~3,636 tokens/param [D]. Trained on 384 H100s for 24 days (~220k GPU-h); no FLOP figure "
        "reported. Not in Epoch's DB snapshot.",
        aliases=("SmolLM3 3B", "SmolLM3-3B"),
    ),
)
# fmt: on


def _index() -> dict[str, ReferenceModel]:
    index: dict[str, ReferenceModel] = {}
    for model in REFERENCE_MODELS:
        for name in (model.name, *model.aliases):
            key = name_key(name)
            if key in index and index[key] is not model:  # pragma: no cover - catalog bug
                raise RuntimeError(f"duplicate reference-model key {key!r}")
            index[key] = model
    return index


_INDEX = _index()


def list_models() -> list[ReferenceModel]:
    """Every reference model, oldest first."""
    return list(REFERENCE_MODELS)


def get_model(name: str) -> ReferenceModel:
    """A reference model by name or alias, ignoring case, spaces, dashes and dots.

    Raises
    ------
    ConfigError
        When no model matches; the message lists the names.
    """
    try:
        return _INDEX[name_key(name)]
    except KeyError:
        names = ", ".join(m.name for m in REFERENCE_MODELS)
        raise ConfigError(f"The 'model' parameter must be one of {names}. Got {name!r}.") from None
