# truss: accept
# default: clean
# truss-profile: clean
# covers: a CustomImage base image, chainlet options with env variables, a display name
import truss_chains as chains


class Custom(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.CustomImage(image="python:3.11-slim"),
            pip_requirements=["numpy"],
        ),
        options=chains.ChainletOptions(env_variables={"LOG_LEVEL": "info"}),
        name="custom-chainlet",
    )

    async def run_remote(self, values: list[float]) -> float:
        import numpy

        return float(numpy.mean(values))
