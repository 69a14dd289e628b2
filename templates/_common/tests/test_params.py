import os
import tempfile
import unittest

from tests import support  # noqa: F401  (sets up sys.path)
from params import load_params, parse_overrides


class ParamsTest(unittest.TestCase):
    def test_params_yaml_loads(self):
        params = load_params([])
        self.assertIn("seed", params)
        self.assertIn("epochs", params)

    def test_overrides_take_the_type_of_the_default(self):
        defaults = {"lr": 0.1, "epochs": 3, "shuffle": True, "name": "x"}
        got = parse_overrides(["--lr=0.5", "--epochs", "7", "--shuffle=false", "--name=y"], defaults)
        self.assertEqual(got, {"lr": 0.5, "epochs": 7, "shuffle": False, "name": "y"})
        self.assertIsInstance(got["lr"], float)
        self.assertIsInstance(got["epochs"], int)

    def test_unknown_or_malformed_overrides_are_errors(self):
        with self.assertRaises(ValueError):
            parse_overrides(["--nope=1"], {"lr": 0.1})
        with self.assertRaises(ValueError):
            parse_overrides(["lr=1"], {"lr": 0.1})
        with self.assertRaises(ValueError):
            parse_overrides(["--epochs=2.5"], {"epochs": 3})

    def test_a_whole_float_is_accepted_for_an_int(self):
        self.assertEqual(parse_overrides(["--epochs=10.0"], {"epochs": 3}), {"epochs": 10})

    def test_reads_another_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.yaml")
            with open(path, "w") as f:
                f.write("a: 1\nb: two\n")
            self.assertEqual(load_params(["--a=5"], path), {"a": 5, "b": "two"})


if __name__ == "__main__":
    unittest.main()
