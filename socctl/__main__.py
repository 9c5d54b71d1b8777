from socctl.cli.main import run

run()
