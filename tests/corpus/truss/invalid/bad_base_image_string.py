# truss: reject
# default: clean
# truss-profile: CH718
# mistake: DockerImage(base_image=...) given a string instead of BasetenImage/CustomImage
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(base_image="python:3.11-slim"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
