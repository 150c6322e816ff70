"""A chain that reads a secret: only the chainlet that declares it can see it.

``Signer`` signs messages with HMAC-SHA256 under the ``webhook_signing_key`` secret, the way a
service signs the webhooks it sends so receivers can check where they come from. It declares
the key in ``Assets(secret_keys=[...])`` and reads it from its ``DeploymentContext`` once, in
``__init__``: a missing secret stops the chainlet at start-up, with an error naming the key,
rather than at its first call.

The entrypoint ``SignedWebhook`` declares no secret, so it cannot read the key (reading an
undeclared key raises ``UndeclaredSecretError``, and chains-lint reports it as CH601); it asks
``Signer`` for the signature. The result carries the signature, never the key. Give the secret
to a local run with ``chains-run ... --secret webhook_signing_key`` (the value in the environment
variable ``webhook_signing_key``) or ``--secrets-dir DIR`` (a file named ``webhook_signing_key``
in DIR); deployed, it is mounted as such a file.
"""

import hashlib
import hmac

import pydantic
import truss_chains as chains


class SignedMessage(pydantic.BaseModel):
    message: str
    algorithm: str
    signature: str


class Signer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="256Mi"),
        assets=chains.Assets(secret_keys=["webhook_signing_key"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._key = context.secrets["webhook_signing_key"].encode("utf-8")

    async def run_remote(self, message: str) -> str:
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()


@chains.mark_entrypoint
class SignedWebhook(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="256Mi"))

    def __init__(self, signer: Signer = chains.depends(Signer)) -> None:
        self._signer = signer

    async def run_remote(self, message: str) -> SignedMessage:
        signature = await self._signer.run_remote(message)
        return SignedMessage(message=message, algorithm="hmac-sha256", signature=signature)
