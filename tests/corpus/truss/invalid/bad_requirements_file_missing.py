# truss: reject
# default: CH721
# truss-profile: CH721
# mistake: a requirements_file that does not exist
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements-missing.txt"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
