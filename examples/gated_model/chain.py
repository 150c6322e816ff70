"""The concept guide's ``MistralLLM``: a chainlet that reads a secret from its context.

The guide's chainlet loads a gated Hugging Face model in ``__init__`` with the
``hf_access_token`` secret, which it gets through ``context: chains.DeploymentContext =
chains.depends_context()`` and declares in ``Assets(secret_keys=[...])``. That shape is kept.
What the guide gets wrong, fixed here:

- Its ``remote_config`` does not parse: ``RemoteConfig(... assets = ...)`` has no comma after
  the ``...`` placeholder, and ``RemoteConfig`` takes keyword arguments only. Here every part
  is a keyword argument.
- The snippet has no ``run_remote``, which every chainlet needs; here it has one.
- ``from_pretrained(..., use_auth_token=...)``: transformers deprecated ``use_auth_token`` in
  favour of ``token`` (4.31 warns that v5 removes it); the stand-in loader takes ``token``.

So that the chain runs without transformers, torch or a GPU, the model is a stand-in:
``load_instruct_template`` checks the token the way a gated download would reject it (a
Hugging Face user access token starts with ``hf_``), and ``run_remote`` returns the prompt
rendered in Mistral-Instruct's ``[INST]`` format, which is what the real chainlet would feed
to ``generate``. The token is only used, never returned or logged.
"""

import truss_chains as chains

MISTRAL_HF_MODEL = "mistralai/Mistral-7B-Instruct-v0.2"
HF_TOKEN_PREFIX = "hf_"


class InstructTemplate:
    """Stands in for the tokenizer's chat template of an instruction-tuned model."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def render(self, prompt: str) -> str:
        return f"<s>[INST] {prompt.strip()} [/INST]"


def load_instruct_template(model_id: str, token: str) -> InstructTemplate:
    """Stands in for ``from_pretrained(model_id, token=token)`` of a gated model."""
    if not token.startswith(HF_TOKEN_PREFIX):
        # Never put the token itself in the message.
        raise PermissionError(
            f"cannot load the gated model {model_id}: `hf_access_token` is not a Hugging Face "
            f"access token (those start with {HF_TOKEN_PREFIX!r})"
        )
    return InstructTemplate(model_id)


@chains.mark_entrypoint
class MistralLLM(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="1Gi"),
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(
        self,
        # The `context` argument gives access to the secrets the chainlet declares.
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._template = load_instruct_template(
            MISTRAL_HF_MODEL, token=context.secrets["hf_access_token"]
        )

    async def run_remote(self, prompt: str) -> str:
        return self._template.render(prompt)
