"""Staff pages for training data: datasets and versions, images by label and split, an image
with its patches. Thin: parse input, call a selector or service, render."""
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from artguard.pagination import BadCursor
from datasets import rendering, selectors, services
from datasets.forms import DatasetVersionForm, ImageFilterForm
from datasets.layout import STATUS_PROCESSED, DatasetError

PAGE_SIZE = 50


def _index_context(form=None):
    datasets = selectors.datasets_list()
    names = [dataset["name"] for dataset in datasets]
    return {
        "datasets": datasets,
        "versions": selectors.dataset_versions_list(),
        "form": form or DatasetVersionForm(dataset_names=names),
    }


@staff_member_required
@require_GET
def index_view(request):
    return render(request, "datasets/index.html", _index_context())


@staff_member_required
@require_POST
def version_create_view(request):
    names = [dataset["name"] for dataset in selectors.datasets_list()]
    form = DatasetVersionForm(request.POST, dataset_names=names)
    if form.is_valid():
        try:
            snapshot = services.dataset_version_create(name=form.cleaned_data["name"], dataset_names=form.cleaned_data["datasets"])
        except DatasetError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Dataset version {snapshot['name']} created with {snapshot['image_count']} images.")
            return redirect("datasets:version", name=snapshot["name"])
    return render(request, "datasets/index.html", _index_context(form), status=400)


@staff_member_required
@require_GET
def version_view(request, name):
    try:
        snapshot = selectors.dataset_version_get(name=name)
    except DatasetError as error:
        return render(request, "datasets/version.html", {"name": name, "error": str(error)}, status=409)
    if snapshot is None:
        raise Http404("No such dataset version.")
    return render(request, "datasets/version.html", {"name": name, "snapshot": snapshot})


@staff_member_required
@require_GET
def images_view(request):
    form = ImageFilterForm(request.GET or None)
    label, split = ("authentic", "train") if not form.is_bound or not form.is_valid() else (form.cleaned_data["label"], form.cleaned_data["split"])
    if not form.is_bound:
        form = ImageFilterForm(initial={"label": label, "split": split})
    try:
        page = selectors.images_page(label=label, split=split, cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    except BadCursor as error:
        return render(request, "datasets/images.html", {"form": form, "error": str(error), "images": []}, status=400)
    next_url = None
    if page.next_cursor:
        next_url = reverse("datasets:images") + "?" + urlencode({"label": label, "split": split, "cursor": page.next_cursor})
    first_url = reverse("datasets:images") + "?" + urlencode({"label": label, "split": split}) if request.GET.get("cursor") else None
    return render(request, "datasets/images.html", {"form": form, "images": page.items, "next_url": next_url, "first_url": first_url, "label": label, "split": split})


def _image_or_404(image_id):
    record = selectors.image_get(image_id=image_id)
    if record is None:
        raise Http404("No such training image.")
    return record


@staff_member_required
@require_GET
def image_view(request, image_id):
    record = _image_or_404(image_id)
    patches = selectors.patches_for_image(image_id=image_id)
    return render(request, "datasets/image.html", {"image": record, "patches": patches, "processed": record.status == STATUS_PROCESSED})


@staff_member_required
@require_GET
def image_overlay_view(request, image_id):
    record = _image_or_404(image_id)
    if record.status != STATUS_PROCESSED or not record.processed_path:
        raise Http404("The image is not processed yet.")
    patches = selectors.patches_for_image(image_id=image_id)
    response = HttpResponse(rendering.patch_overlay_png(record=record, patches=patches), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
