from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def upload_view(request):
    return render(request, "detection/upload.html")


@login_required
def history_view(request):
    return render(request, "detection/history.html")
