# truss: accept
# default: clean
# truss-profile: clean
# covers: RemoteConfig.build_commands next to a GPU compute
import truss_chains as chains


class ComfyChainlet(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(gpu="A100"),
        build_commands=[
            "git clone https://github.com/comfyanonymous/ComfyUI.git",
            "cd ComfyUI && pip install -r requirements.txt",
        ],
    )

    async def run_remote(self, workflow: dict[str, str]) -> bytes:
        return repr(sorted(workflow)).encode()
