"""What a run stores must be storable: DynamoDB refuses numbers under 1e-130 or over 1e126 in
magnitude, and a fitted value can be either (a bench run failed at its last write on one)."""
import math

import numpy as np

from artguard.dynamo import storable


def test_numbers_dynamodb_cannot_store_become_zero_or_none():
    plain = storable({"tiny": np.float64(1e-200), "negative_tiny": -3e-300, "huge": 1e200, "nan": math.nan,
                      "fine": np.float32(0.25), "nested": [np.float64(5e-131), (1, 2.5)], "zero": 0.0})
    assert plain == {"tiny": 0.0, "negative_tiny": 0.0, "huge": None, "nan": None, "fine": 0.25,
                     "nested": [0.0, [1, 2.5]], "zero": 0.0}
