"""Artist names and the registry: one canonical name per artist, aliases, and resolution that
ignores case, accents, punctuation and "Last, First" order, but never guesses between two."""
import pytest

from datasets import artists
from datasets.artists import AmbiguousArtist, Artist, ArtistError, EmptyArtist, Resolver, UnknownArtist
from datasets.selectors import artist_get, artists_list, image_get
from datasets.artist_registry import artist_update, artists_register


@pytest.mark.parametrize("spelling", ["Vincent van Gogh", "VINCENT VAN GOGH", "vincent  van gogh ", "Gogh, Vincent van",
                                      "Vincent van Gógh", "Vincent-van-Gogh"])
def test_spellings_of_one_name_normalize_alike(spelling):
    assert artists.normalize(spelling) == "vincent van gogh"


def test_slugs_are_ascii_and_stable():
    assert artists.slug_for("Gabriele Münter") == "gabriele-munter"
    assert artists.slug_for("Gogh, Vincent van") == "vincent-van-gogh"
    assert artists.slug_for("葛飾北斎").startswith("artist-")  # no ASCII letters: a hash, still stable
    assert artists.slug_for("葛飾北斎") == artists.slug_for("葛飾北斎")


def test_resolver_finds_by_name_or_alias_and_refuses_to_guess():
    gogh = Artist(slug="vincent-van-gogh", name="Vincent van Gogh", aliases=("Van Gogh",))
    theo = Artist(slug="theo-van-gogh", name="Theo van Gogh", aliases=("T. van Gogh",))
    resolver = Resolver([gogh, theo])
    assert resolver.resolve("gogh, vincent VAN") is gogh
    assert resolver.resolve("van gogh") is gogh
    assert resolver.find("Claude Monet") is None
    with pytest.raises(UnknownArtist, match="Theo van Gogh, Vincent van Gogh"):
        resolver.resolve("Claude Monet")
    with pytest.raises(EmptyArtist, match="Name the artist"):
        resolver.resolve("   ")
    both = Resolver([gogh, Artist(slug="other", name="Other", aliases=("Van Gogh",))])
    with pytest.raises(AmbiguousArtist, match="more than one artist"):
        both.resolve("Van Gogh")


def test_an_unknown_name_suggests_the_nearest_served_artists():
    verhaegen = Artist(slug="verhaegen", name="Theodore Verhaegen")
    monet = Artist(slug="claude-monet", name="Claude Monet")
    resolver = Resolver([verhaegen, monet])
    with pytest.raises(UnknownArtist) as error:
        resolver.resolve("Verhagen")
    assert str(error.value).startswith("No model for 'Verhagen'. Did you mean Theodore Verhaegen? The artists with a model are:")
    assert resolver.nearest("Monnet") == ["Claude Monet"]
    assert resolver.nearest("Rembrandt") == []
    with pytest.raises(UnknownArtist) as error:
        resolver.resolve("Rembrandt")
    assert "Did you mean" not in str(error.value)


def test_registration_is_idempotent_and_merges_spellings():
    first = artists_register(names=["Vincent van Gogh", "Gogh, Vincent van", "Berthe Morisot"])
    assert sorted(artist.name for artist in first) == ["Berthe Morisot", "Vincent van Gogh"]
    again = artists_register(names=["VINCENT VAN GOGH"])
    assert [artist.slug for artist in again] == ["vincent-van-gogh"]
    assert [artist.name for artist in artists_list()] == ["Berthe Morisot", "Vincent van Gogh"]
    assert image_get(image_id="artist#vincent-van-gogh") is None  # registry items are not training images


def test_staff_edit_names_and_an_alias_of_another_artist_is_refused():
    artists_register(names=["Vincent van Gogh", "Theo van Gogh"])
    updated = artist_update(slug="vincent-van-gogh", aliases=["Van Gogh", "V. van Gogh", "Van Gogh"])
    assert updated.aliases == ("Van Gogh", "V. van Gogh")
    with pytest.raises(ArtistError, match="already names Vincent van Gogh"):
        artist_update(slug="theo-van-gogh", aliases=["van gogh"])
    renamed = artist_update(slug="vincent-van-gogh", name="Vincent Willem van Gogh")
    assert renamed.name == "Vincent Willem van Gogh" and renamed.slug == "vincent-van-gogh"
    assert artist_get(slug="vincent-van-gogh").aliases == ("Van Gogh", "V. van Gogh")
    with pytest.raises(ArtistError, match="no artist"):
        artist_update(slug="nobody", aliases=[])


def test_freezing_a_version_registers_its_attributed_artists(tmp_path):
    from tests.training.fixtures import FIXTURE_ARTIST, fixture_dataset_create

    fixture_dataset_create(tmp_path / "images", per_label=2)
    assert [artist.name for artist in artists_list()] == [FIXTURE_ARTIST]
