import numpy as np

from indexing.curate.geometry import in_box, in_polygon, in_shapes

RNG = np.random.default_rng(0)
X, Y = RNG.uniform(-2, 2, 5000), RNG.uniform(-2, 2, 5000)


def test_a_box_holds_the_points_between_its_corners_in_any_order():
    expected = (X >= -1) & (X <= 0.5) & (Y >= -0.25) & (Y <= 1.5)
    assert np.array_equal(in_box(X, Y, [0.5, -1], [1.5, -0.25]), expected)
    assert 0 < expected.sum() < len(X)


def test_a_square_lasso_equals_the_box_and_a_triangle_holds_half_of_it():
    square = in_polygon(X, Y, [-1, 1, 1, -1, -1], [-1, -1, 1, 1, -1])
    assert np.array_equal(square, in_box(X, Y, [-1, 1], [-1, 1]))
    triangle = in_polygon(X, Y, [-1, 1, 1], [-1, -1, 1])  # below the diagonal y = x
    assert np.array_equal(triangle, in_box(X, Y, [-1, 1], [-1, 1]) & (Y < X))


def test_a_concave_lasso_leaves_out_its_notch():
    # a U shape: the square [0, 3] x [0, 3] without the notch [1, 2] x [1, 3]
    xs, ys = [0, 3, 3, 2, 2, 1, 1, 0], [0, 0, 3, 3, 1, 1, 3, 3]
    px, py = np.array([0.5, 1.5, 2.5, 1.5]), np.array([2.5, 2.5, 2.5, 0.5])
    assert in_polygon(px, py, xs, ys).tolist() == [True, False, True, True]


def test_shapes_unite():
    mask = in_shapes(X, Y, [{"x": [-2, -1], "y": [-2, 2]}], [{"x": [1, 2, 2, 1], "y": [-2, -2, 2, 2]}])
    assert np.array_equal(mask, (X <= -1) | (X >= 1))
