# truss: accept
# default: clean
# truss-profile: clean
# covers: RemoteConfig with DockerImage, Compute and Assets; secrets read from the context
import truss_chains as chains

MODEL_ID = "mistralai/Mistral-7B-Instruct-v0.2"


class MistralLLM(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.BasetenImage.PY311,
            pip_requirements=["torch==2.3.0", "transformers==4.41.2"],
            apt_requirements=["ffmpeg"],
        ),
        compute=chains.Compute(cpu_count=4, memory="16Gi", gpu="A10G", gpu_count=1),
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(
        self,
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        import transformers

        token = context.secrets["hf_access_token"]
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(MODEL_ID, token=token)

    async def run_remote(self, prompt: str) -> list[int]:
        return list(self._tokenizer(prompt)["input_ids"])
