"""The build compiles the Danish catalogue (.po -> .mo) with Babel, so a wheel carries it; the
rest of the configuration is in pyproject.toml. (`make install` compiles it for the editable
install: cli.catalogue.)"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogue(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(self.build_lib, "brobyg", "cli", "locale").glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as f:
                catalog = read_po(f)
            with po.with_suffix(".mo").open("wb") as f:
                write_mo(f, catalog)


setup(cmdclass={"build_py": BuildWithCatalogue})
