# truss: reject
# default: clean
# truss-profile: CH719
# mistake: DockerImage(requirements_file=...) given a plain string instead of make_abs_path_here
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(requirements_file="_requirements.txt"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
